package dev.cloudproxy.tao.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.guard.DatalogGuard;
import dev.cloudproxy.tao.guard.LiberalGuard;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.keys.WrongPasswordException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DomainTest {
    static final char[] PASSWORD = "domain password".toCharArray();
    static final String HASH = "aa".repeat(32);
    static final String OTHER_HASH = "bb".repeat(32);
    static final String HOST = "key([" + "11".repeat(32) + "])";

    @TempDir
    Path tmp;

    /** The sample template of docs/, with a trusted host added. */
    static DomainTemplate sampleTemplate(String extraLines) throws Exception {
        String text = Files.readString(Path.of("..", "docs", "domain_template.txt")) + extraLines;
        return DomainTemplate.parse(text.getBytes(StandardCharsets.UTF_8), "sample template");
    }

    private Domain create(DomainTemplate template) throws Exception {
        return Domain.create(tmp.resolve("domain"), template, PASSWORD, Argon2Params.FLOOR);
    }

    private Path dir() {
        return tmp.resolve("domain");
    }

    private static String authorizedQuery(String hash) {
        return "Authorized(" + HOST + ".Program([" + hash + "]), \"Execute\")";
    }

    @Test
    void create_thenLoad_hasTheSameNameKeyAndPolicy() throws Exception {
        DomainTemplate template = sampleTemplate("host = " + HOST + "\nprogram = " + HASH + "\n");
        Prin principal;
        try (Domain created = create(template)) {
            principal = created.policyPrincipal();
            assertThat(created.hasPolicyKey()).isTrue();
            assertThat(created.guard().ruleCount()).isEqualTo(13);
        }

        Domain loaded = Domain.load(dir());

        assertThat(loaded.name()).isEqualTo("Example Tao Domain");
        assertThat(loaded.guardType()).isEqualTo(GuardType.DATALOG);
        assertThat(loaded.policyPrincipal()).isEqualTo(principal);
        assertThat(loaded.policyPrincipal()).isEqualTo(Keys.readVerifier(dir().resolve(Domain.POLICY_KEYS_DIR)).principal());
        assertThat(loaded.hasPolicyKey()).isFalse();
        assertThat(loaded.guard().ruleCount()).isEqualTo(13);
        assertThat(loaded.guard().query(authorizedQuery(HASH))).isTrue();
        assertThat(loaded.guard().query(authorizedQuery(OTHER_HASH))).isFalse();
    }

    @Test
    void programOnALinuxHostOfATrustedHost_isAuthorizedByTheSampleRules() throws Exception {
        String linux = "cc".repeat(32);
        create(sampleTemplate("host = " + HOST + "\nlinux_host = " + linux + "\nprogram = " + HASH + "\n")).close();

        Domain loaded = Domain.load(dir());

        String stacked = HOST + ".LinuxHost([" + linux + "]).Program([" + HASH + "])";
        assertThat(loaded.guard().query("Authorized(" + stacked + ", \"Execute\")")).isTrue();
        assertThat(loaded.guard().query("Authorized(" + HOST + ".LinuxHost([" + OTHER_HASH + "]).Program(["
                + HASH + "]), \"Execute\")")).isFalse();
    }

    @Test
    void loadWithKeys_changeAndSave_isSeenByALaterLoad() throws Exception {
        create(sampleTemplate("host = " + HOST + "\n")).close();
        assertThat(Domain.load(dir()).guard().query(authorizedQuery(HASH))).isFalse();

        try (Domain d = Domain.loadWithKeys(dir(), PASSWORD)) {
            d.guard().addRule(PolicyFacts.trustedProgram(PolicyFacts.parseHash(HASH)));
            d.saveGuard();
        }

        assertThat(Domain.load(dir()).guard().query(authorizedQuery(HASH))).isTrue();
    }

    @Test
    void loadWithoutKeys_cannotSave() throws Exception {
        create(sampleTemplate("")).close();
        Domain d = Domain.load(dir());

        assertThrows(IllegalStateException.class, d::saveGuard);
    }

    @Test
    void loadWithKeys_wrongPassword_isRefused() throws Exception {
        create(sampleTemplate("")).close();

        assertThrows(WrongPasswordException.class, () -> Domain.loadWithKeys(dir(), "wrong".toCharArray()));
    }

    @Test
    void create_existingDomain_isRefusedAndLeftUnchanged() throws Exception {
        create(sampleTemplate("")).close();
        byte[] cert = Files.readAllBytes(dir().resolve(Domain.POLICY_CERT_FILE));

        DomainException e = assertThrows(DomainException.class, () -> create(sampleTemplate("")));

        assertThat(e).hasMessage(dir() + " already holds a domain");
        assertThat(Files.readAllBytes(dir().resolve(Domain.POLICY_CERT_FILE))).isEqualTo(cert);
    }

    @Test
    void create_halfCreatedDirectory_isRefused() throws Exception {
        Files.createDirectories(dir().resolve(Domain.POLICY_KEYS_DIR));

        assertThrows(DomainException.class, () -> create(sampleTemplate("")));
    }

    @Test
    void load_missingConfiguration_fails() throws Exception {
        create(sampleTemplate("")).close();
        Files.delete(dir().resolve(Domain.CONFIG_FILE));

        assertThrows(IOException.class, () -> Domain.load(dir()));
    }

    // ---- untrusted input ----

    @Test
    void load_configEditedByHand_isRefused() throws Exception {
        create(sampleTemplate("")).close();
        Path config = dir().resolve(Domain.CONFIG_FILE);
        Files.writeString(config, Files.readString(config).replace("guard_type = datalog", "guard_type = liberal")
                .replace("guard_file = rules.datalog\n", ""));

        DomainException e = assertThrows(DomainException.class, () -> Domain.load(dir()));

        assertThat(e).hasMessage("tao.config is not signed by the policy key");
    }

    @Test
    void load_everyFlippedBitOfTheConfig_isRefused() throws Exception {
        create(sampleTemplate("")).close();
        Path config = dir().resolve(Domain.CONFIG_FILE);
        byte[] original = Files.readAllBytes(config);
        for (int i = 0; i < original.length * 8; i += 7) {
            byte[] flipped = original.clone();
            flipped[i / 8] ^= (byte) (1 << (i % 8));
            Files.write(config, flipped);
            assertThrows(DomainException.class, () -> Domain.load(dir()), "bit " + i);
        }
        Files.write(config, original);
        Domain.load(dir());
    }

    @Test
    void load_configSignedByAnotherKey_isRefused() throws Exception {
        create(sampleTemplate("")).close();
        byte[] config = Files.readAllBytes(dir().resolve(Domain.CONFIG_FILE));
        try (Keys other = Keys.generate()) {
            Files.write(dir().resolve(Domain.CONFIG_SIGNATURE_FILE), DomainConfig.sign(config, other.signer()));
        }

        assertThrows(DomainException.class, () -> Domain.load(dir()));
    }

    @Test
    void load_guardFileEditedByHand_isRefused() throws Exception {
        create(sampleTemplate("host = " + HOST + "\n")).close();
        Path rules = dir().resolve("rules.datalog");
        byte[] bytes = Files.readAllBytes(rules);
        bytes[bytes.length / 2] ^= 1;
        Files.write(rules, bytes);

        DomainException e = assertThrows(DomainException.class, () -> Domain.load(dir()));

        assertThat(e.getMessage()).startsWith("rules.datalog: ");
    }

    @Test
    void load_guardFileSignedByAnotherKey_isRefused() throws Exception {
        create(sampleTemplate("")).close();
        Path forged = tmp.resolve("forged.datalog");
        try (Keys other = Keys.generate()) {
            DatalogGuard g = DatalogGuard.create(forged, other.verifier());
            g.addRule("forall P: TrustedHost(P) implies Authorized(P, \"Execute\")");
            g.addRule("TrustedHost(" + HOST + ")");
            g.save(other.signer());
        }
        Files.move(forged, dir().resolve("rules.datalog"), StandardCopyOption.REPLACE_EXISTING);

        assertThrows(DomainException.class, () -> Domain.load(dir()));
    }

    @Test
    void load_certificateOfAnotherKey_isRefused() throws Exception {
        create(sampleTemplate("")).close();
        try (Keys other = Keys.generate()) {
            X509Certificate cert = PolicyCertificate.create(other.signer(), "Example Tao Domain",
                    DomainTemplate.X509Details.NONE, 1);
            Files.writeString(dir().resolve(Domain.POLICY_CERT_FILE), PolicyCertificate.toPem(cert));
        }

        DomainException e = assertThrows(DomainException.class, () -> Domain.load(dir()));

        assertThat(e).hasMessage("tao.config is not signed by the policy key");
        assertThrows(DomainException.class, () -> Domain.loadWithKeys(dir(), PASSWORD));
    }

    @Test
    void load_certificateEditedByHand_isRefused() throws Exception {
        create(sampleTemplate("")).close();
        Path certFile = dir().resolve(Domain.POLICY_CERT_FILE);
        String pem = Files.readString(certFile);
        // Change a character inside the base64 of the to-be-signed part.
        int at = pem.indexOf('\n') + 200;
        char c = pem.charAt(at);
        Files.writeString(certFile, pem.substring(0, at) + (c == 'A' ? 'B' : 'A') + pem.substring(at + 1));

        assertThrows(DomainException.class, () -> Domain.load(dir()));
    }

    // ---- guard types ----

    @Test
    void liberalDomain_hasNoGuardFileAndAuthorizesEverything() throws Exception {
        DomainTemplate template = DomainTemplate.parse("name = dev\nguard = liberal\n".getBytes(StandardCharsets.UTF_8), "t");
        create(template).close();

        Domain d = Domain.load(dir());

        assertThat(d.guard()).isSameAs(LiberalGuard.INSTANCE);
        assertThat(d.guard().query(authorizedQuery(HASH))).isTrue();
        assertThat(dir().resolve("rules.datalog")).doesNotExist();
    }

    @Test
    void aclDomain_holdsTheTemplateFactsExactly() throws Exception {
        String text = "name = acl\nguard = acl\ncan_execute = " + HOST + "\n";
        create(DomainTemplate.parse(text.getBytes(StandardCharsets.UTF_8), "t")).close();

        Domain d = Domain.load(dir());

        assertThat(d.guardType()).isEqualTo(GuardType.ACL);
        assertThat(d.guard().query("Authorized(" + HOST + ", \"Execute\")")).isTrue();
        assertThat(d.guard().query(authorizedQuery(HASH))).isFalse();
    }

    @Test
    void templateWithAnUnsafeRule_isRefusedByTheGuard() throws Exception {
        DomainTemplate template = sampleTemplate("rule = forall P: Trusted(P)\n");

        DomainException e = assertThrows(DomainException.class, () -> create(template));

        assertThat(e.getMessage()).startsWith("the template's policy is refused: ");
    }

    // ---- the certificate ----

    @Test
    void policyCertificate_isASelfSignedCa() throws Exception {
        X509Certificate cert;
        try (Domain d = create(sampleTemplate(""))) {
            cert = d.policyCertificate();
            cert.verify(d.policyVerifier().toJcaPublicKey());
        }

        assertThat(cert.getVersion()).isEqualTo(3);
        assertThat(cert.getSigAlgName()).isEqualTo("SHA256withECDSA");
        assertThat(cert.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(cert.getCriticalExtensionOIDs()).contains("2.5.29.19", "2.5.29.15");
        assertThat(cert.getKeyUsage()[5]).as("keyCertSign").isTrue();
        assertThat(cert.getKeyUsage()[6]).as("cRLSign").isTrue();
        assertThat(cert.getKeyUsage()[0]).as("digitalSignature").isFalse();
        assertThat(cert.getNonCriticalExtensionOIDs()).contains("2.5.29.14", "2.5.29.35");
        assertThat(cert.getSerialNumber().signum()).isPositive();
        assertThat(cert.getSerialNumber().bitLength()).isEqualTo(129);
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo(
                "CN=Example Tao Domain,OU=Examples,O=CloudProxy Tao for the JVM,L=Redmond,ST=Washington,C=US");
        assertThat(cert.getIssuerX500Principal()).isEqualTo(cert.getSubjectX500Principal());
        long days = TimeUnit.MILLISECONDS.toDays(cert.getNotAfter().getTime() - cert.getNotBefore().getTime());
        assertThat(days).isEqualTo(3650);
        X509Certificate reread = Domain.load(dir()).policyCertificate();
        assertThat(reread).isEqualTo(cert);
    }

    @Test
    void policyCertificate_verifiesWithOpenssl() throws Exception {
        create(sampleTemplate("")).close();
        Process p;
        try {
            p = new ProcessBuilder("openssl", "verify", "-x509_strict", "-CAfile", Domain.POLICY_CERT_FILE,
                    Domain.POLICY_CERT_FILE).directory(dir().toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("openssl is not installed, and this test uses it as an independent TLS/X.509 implementation:"
                    + " install it (Debian/Ubuntu: apt-get install -y openssl) and run again", e);
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThat(output.strip()).isEqualTo(Domain.POLICY_CERT_FILE + ": OK");
        assertThat(p.exitValue()).isZero();
    }

    @Test
    void parseHash_acceptsBracketsAndRefusesOtherLengths() {
        assertThat(PolicyFacts.parseHash("[" + HASH + "]")).isEqualTo(HexFormat.of().parseHex(HASH));
        assertThrows(IllegalArgumentException.class, () -> PolicyFacts.parseHash("aa"));
        assertThrows(IllegalArgumentException.class, () -> PolicyFacts.parseHash("zz".repeat(32)));
    }
}
