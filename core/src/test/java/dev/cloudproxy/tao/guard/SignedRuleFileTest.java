package dev.cloudproxy.tao.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.keys.Signer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SignedRuleFileTest {
    @TempDir
    Path dir;

    private final Signer policy = Signer.generate();
    private final Signer other = Signer.generate();

    @AfterEach
    void closeKeys() {
        policy.close();
        other.close();
    }

    private Path savedAcl(String... rules) throws Exception {
        Path file = dir.resolve("acl.rules");
        AclGuard guard = AclGuard.create(file, policy.verifier());
        for (String rule : rules) {
            guard.addRule(rule);
        }
        guard.save(policy);
        return file;
    }

    @Test
    void saveThenLoad_sameRulesAndName() throws Exception {
        Path file = dir.resolve("acl.rules");
        AclGuard guard = AclGuard.create(file, policy.verifier());
        guard.addRule("A(1)");
        guard.addRule("key([aa]) says B(\"x\")");
        guard.save(policy);

        AclGuard loaded = AclGuard.load(file, policy.verifier());

        assertThat(loaded.ruleCount()).isEqualTo(2);
        assertThat(loaded.getRule(1)).isEqualTo(Form.parse("key([aa]) says B(\"x\")"));
        assertThat(loaded.subprincipal()).isEqualTo(guard.subprincipal());
        assertThat(loaded.query("A(1)")).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }

    @Test
    void load_everyByteFlipped_refused() throws Exception {
        Path file = savedAcl("A(1)", "key([aa]) says B(\"x\")");
        byte[] good = Files.readAllBytes(file);
        Path copy = dir.resolve("flipped.rules");
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= (byte) 0x01;
            Files.write(copy, bad);
            int at = i;
            GuardException e = assertThrows(GuardException.class, () -> AclGuard.load(copy, policy.verifier()),
                    () -> "flip at byte " + at + " was accepted");
            assertThat(e.getMessage()).doesNotContain("\n");
        }
    }

    @Test
    void load_everyByteInverted_refused() throws Exception {
        Path file = savedAcl("A(1)");
        byte[] good = Files.readAllBytes(file);
        Path copy = dir.resolve("inverted.rules");
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= (byte) 0xff;
            Files.write(copy, bad);
            assertThrows(GuardException.class, () -> AclGuard.load(copy, policy.verifier()));
        }
    }

    @Test
    void load_truncatedOrExtended_refused() throws Exception {
        byte[] good = Files.readAllBytes(savedAcl("A(1)"));
        Path copy = dir.resolve("cut.rules");
        for (int length = 0; length < good.length; length++) {
            Files.write(copy, java.util.Arrays.copyOf(good, length));
            assertThrows(GuardException.class, () -> AclGuard.load(copy, policy.verifier()));
        }
        Files.write(copy, java.util.Arrays.copyOf(good, good.length + 1));
        assertThrows(GuardException.class, () -> AclGuard.load(copy, policy.verifier()));
    }

    @Test
    void load_signedByAnotherKey_refused() throws Exception {
        Path file = dir.resolve("other.rules");
        Files.write(file, SignedRuleFile.sign(SignedRuleFile.KIND_ACL, 5, List.of(Form.parse("A(1)")), other));

        GuardException e = assertThrows(GuardException.class, () -> AclGuard.load(file, policy.verifier()));

        assertThat(e.getMessage()).contains("not signed by the policy key");
    }

    @Test
    void load_handEditedRule_refused() throws Exception {
        Path file = savedAcl("Allowed([aa])");
        byte[] bytes = Files.readAllBytes(file);
        // Re-encode with a different rule of the same length and keep the old signature.
        byte[] edited = SignedRuleFile.unsigned(SignedRuleFile.KIND_ACL, List.of(Form.parse("Allowed([bb])")));
        System.arraycopy(edited, 0, bytes, 0, edited.length);
        Files.write(file, bytes);

        assertThrows(GuardException.class, () -> AclGuard.load(file, policy.verifier()));
    }

    @Test
    void save_withOtherKey_throwsIllegalArgument() throws Exception {
        AclGuard guard = AclGuard.create(dir.resolve("g.rules"), policy.verifier());

        assertThrows(IllegalArgumentException.class, () -> guard.save(other));
        assertThat(Files.exists(dir.resolve("g.rules"))).isFalse();
    }

    @Test
    void create_existingFile_throws() throws Exception {
        Path file = savedAcl("A(1)");

        assertThrows(FileAlreadyExistsException.class, () -> AclGuard.create(file, policy.verifier()));
    }

    @Test
    void query_fileReplacedBySignedRules_reloads() throws Exception {
        Path file = savedAcl("A(1)");
        AclGuard reader = AclGuard.load(file, policy.verifier());
        AclGuard writer = AclGuard.load(file, policy.verifier());
        writer.addRule("B(2)");
        writer.save(policy);

        assertThat(reader.query("B(2)")).isTrue();
        assertThat(reader.ruleCount()).isEqualTo(2);
        assertThat(reader.subprincipal()).isEqualTo(writer.subprincipal());
        assertThat(reader.lastReloadFailure()).isEmpty();
    }

    @Test
    void query_fileReplacedByBadFile_keepsOldRulesAndReports() throws Exception {
        Path file = savedAcl("A(1)");
        AclGuard guard = AclGuard.load(file, policy.verifier());
        var name = guard.subprincipal();
        replace(file, SignedRuleFile.sign(SignedRuleFile.KIND_ACL, 5, List.of(Form.parse("B(2)")), other));

        assertThat(guard.query("A(1)")).isTrue();
        assertThat(guard.query("B(2)")).isFalse();
        assertThat(guard.subprincipal()).isEqualTo(name);
        assertThat(guard.lastReloadFailure()).hasValueSatisfying(
                e -> assertThat(e.getMessage()).contains("not signed by the policy key"));

        // A good file afterwards is taken again.
        replace(file, SignedRuleFile.sign(SignedRuleFile.KIND_ACL, 5, List.of(Form.parse("C(3)")), policy));
        assertThat(guard.query("C(3)")).isTrue();
        assertThat(guard.lastReloadFailure()).isEmpty();
    }

    /** Replaces the file as editors and AtomicFiles do: a new file renamed over the old one. */
    static void replace(Path file, byte[] content) throws java.io.IOException {
        Path tmp = Files.createTempFile(file.getParent(), "edit", ".tmp");
        Files.write(tmp, content);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void query_fileDeleted_keepsOldRules() throws Exception {
        Path file = savedAcl("A(1)");
        AclGuard guard = AclGuard.load(file, policy.verifier());
        Files.delete(file);

        assertThat(guard.query("A(1)")).isTrue();
        assertThat(guard.lastReloadFailure()).isPresent();
    }

    @Test
    void save_eachTime_signsTheNextPolicyVersion() throws Exception {
        Path file = dir.resolve("acl.rules");
        AclGuard guard = AclGuard.create(file, policy.verifier());
        guard.addRule("A(1)");
        guard.save(policy);
        guard.addRule("B(2)");
        guard.save(policy);

        assertThat(guard.policyVersion()).isEqualTo(2);
        assertThat(AclGuard.load(file, policy.verifier()).policyVersion()).isEqualTo(2);
        assertThat(guard.verifyFile(Files.readAllBytes(file))).isEqualTo(2);
    }

    @Test
    void sameRules_differentVersions_sameName() throws Exception {
        Path one = dir.resolve("one.rules");
        Path two = dir.resolve("two.rules");
        Files.write(one, SignedRuleFile.sign(SignedRuleFile.KIND_ACL, 1, List.of(Form.parse("A(1)")), policy));
        Files.write(two, SignedRuleFile.sign(SignedRuleFile.KIND_ACL, 7, List.of(Form.parse("A(1)")), policy));

        assertThat(AclGuard.load(one, policy.verifier()).subprincipal())
                .isEqualTo(AclGuard.load(two, policy.verifier()).subprincipal());
    }

    @Test
    void query_fileReplacedByOlderSignedVersion_keepsNewerRulesAndReportsTheReplay() throws Exception {
        Path file = dir.resolve("acl.rules");
        Files.write(file, SignedRuleFile.sign(SignedRuleFile.KIND_ACL, 3, List.of(Form.parse("New(1)")), policy));
        AclGuard guard = AclGuard.load(file, policy.verifier());
        replace(file, SignedRuleFile.sign(SignedRuleFile.KIND_ACL, 2, List.of(Form.parse("Old(1)")), policy));

        assertThat(guard.query("New(1)")).isTrue();
        assertThat(guard.query("Old(1)")).isFalse();
        assertThat(guard.policyVersion()).isEqualTo(3);
        assertThat(guard.lastReloadFailure()).hasValueSatisfying(
                e -> assertThat(e.getMessage()).contains("older than the version in use (3)"));
    }

    @Test
    void load_formatOneFileFromBeforeVersions_isVersionZeroAndRefusedOnceANewerWasSeen() throws Exception {
        Path file = dir.resolve("acl.rules");
        byte[] formatOne = formatOne(List.of(Form.parse("Old(1)")));
        Files.write(file, formatOne);
        AclGuard old = AclGuard.load(file, policy.verifier());
        assertThat(old.policyVersion()).isZero();
        assertThat(old.query("Old(1)")).isTrue();

        replace(file, SignedRuleFile.sign(SignedRuleFile.KIND_ACL, 1, List.of(Form.parse("New(1)")), policy));
        assertThat(old.query("New(1)")).isTrue();
        replace(file, formatOne);

        assertThat(old.query("New(1)")).isTrue();
        assertThat(old.lastReloadFailure()).isPresent();
    }

    @Test
    void verifyFile_everyByteOfTheVersionFlipped_refused() throws Exception {
        AclGuard guard = AclGuard.load(savedAcl("A(1)"), policy.verifier());
        byte[] good = SignedRuleFile.sign(SignedRuleFile.KIND_ACL, 4, List.of(Form.parse("A(1)")), policy);
        for (int i = 6; i < 14; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x01;
            assertThrows(GuardException.class, () -> guard.verifyFile(bad));
        }
        assertThat(guard.verifyFile(good)).isEqualTo(4);
    }

    /** A format-1 file, as every version before policy versions wrote it. */
    private byte[] formatOne(List<Form> rules) {
        byte[] unsigned = SignedRuleFile.unsigned(SignedRuleFile.KIND_ACL, rules);
        byte[] context = "Tao Guard Rules V1\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] message = java.nio.ByteBuffer.allocate(context.length + unsigned.length).put(context).put(unsigned).array();
        byte[] signature = policy.sign(message);
        return java.nio.ByteBuffer.allocate(unsigned.length + 2 + signature.length)
                .put(unsigned).putShort((short) signature.length).put(signature).array();
    }
}
