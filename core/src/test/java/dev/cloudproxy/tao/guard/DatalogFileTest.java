package dev.cloudproxy.tao.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.keys.Signer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatalogFileTest {
    @TempDir
    Path dir;

    private final Signer policy = Signer.generate();

    @AfterEach
    void closeKey() {
        policy.close();
    }

    private Path savedTemplate() throws Exception {
        Path file = dir.resolve("policy.rules");
        DatalogGuard guard = DatalogGuard.create(file, policy.verifier());
        DatalogGuardTest.addTemplate(guard);
        guard.save(policy);
        return file;
    }

    @Test
    void saveThenLoad_templateStillAuthorizes() throws Exception {
        DatalogGuard loaded = DatalogGuard.load(savedTemplate(), policy.verifier());

        assertThat(loaded.ruleCount()).isEqualTo(4);
        assertThat(loaded.isAuthorized(DatalogGuardTest.HOST.extend(DatalogGuardTest.PROGRAM), "Execute", List.of()))
                .isTrue();
    }

    @Test
    void load_everyByteFlipped_refused() throws Exception {
        byte[] good = Files.readAllBytes(savedTemplate());
        Path copy = dir.resolve("flipped.rules");
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= (byte) (1 << (i % 8));
            Files.write(copy, bad);
            assertThrows(GuardException.class, () -> DatalogGuard.load(copy, policy.verifier()));
        }
    }

    @Test
    void load_aclFile_refused() throws Exception {
        Path file = dir.resolve("acl.rules");
        Files.write(file, SignedRuleFile.sign(SignedRuleFile.KIND_ACL, 5, List.of(Form.parse("A()")), policy));

        GuardException e = assertThrows(GuardException.class, () -> DatalogGuard.load(file, policy.verifier()));

        assertThat(e.getMessage()).contains("holds ACL rules, not Datalog");
    }

    @Test
    void load_signedUnsafeRule_refusedNamingTheRule() throws Exception {
        Path file = dir.resolve("unsafe.rules");
        Files.write(file, SignedRuleFile.sign(SignedRuleFile.KIND_DATALOG, 5,
                List.of(Form.parse("A()"), Form.parse("forall X: B(X)")), policy));

        GuardException e = assertThrows(GuardException.class, () -> DatalogGuard.load(file, policy.verifier()));

        assertThat(e.getMessage()).startsWith("rule 1:").contains("variable X");
    }

    @Test
    void query_fileReplaced_reloads() throws Exception {
        Path file = savedTemplate();
        DatalogGuard reader = DatalogGuard.load(file, policy.verifier());
        DatalogGuard writer = DatalogGuard.load(file, policy.verifier());
        writer.addRule("TrustedHost(" + DatalogGuardTest.OTHER_HOST + ")");
        writer.save(policy);

        assertThat(reader.isAuthorized(DatalogGuardTest.OTHER_HOST.extend(DatalogGuardTest.PROGRAM), "Execute",
                List.of())).isTrue();
    }

    @Test
    void query_fileReplacedByUnsafeRules_keepsOldRules() throws Exception {
        Path file = savedTemplate();
        DatalogGuard guard = DatalogGuard.load(file, policy.verifier());
        SignedRuleFileTest.replace(file, SignedRuleFile.sign(SignedRuleFile.KIND_DATALOG, 5,
                List.of(Form.parse("forall X: B(X)")), policy));

        assertThat(guard.isAuthorized(DatalogGuardTest.HOST.extend(DatalogGuardTest.PROGRAM), "Execute", List.of()))
                .isTrue();
        assertThat(guard.ruleCount()).isEqualTo(4);
        assertThat(guard.lastReloadFailure()).isPresent();
    }

    @Test
    void query_fileHandEdited_keepsOldRules() throws Exception {
        Path file = savedTemplate();
        DatalogGuard guard = DatalogGuard.load(file, policy.verifier());
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x20;
        SignedRuleFileTest.replace(file, bytes);

        assertThat(guard.isAuthorized(DatalogGuardTest.HOST.extend(DatalogGuardTest.PROGRAM), "Execute", List.of()))
                .isTrue();
        assertThat(guard.lastReloadFailure()).isPresent();
    }
}
