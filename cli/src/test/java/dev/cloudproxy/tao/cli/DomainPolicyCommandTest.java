package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.cli.CliRunner.Result;
import dev.cloudproxy.tao.domain.Domain;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tao domain init} and {@code tao domain policy}. */
class DomainPolicyCommandTest {
    private static final String PASSWORD = "policy password \u00e9";
    private static final Map<String, String> WITH_PASSWORD = Map.of(Passwords.ENV, PASSWORD);
    private static final String HOST = "key([" + "11".repeat(32) + "])";
    private static final String HASH = "aa".repeat(32);
    private static final String OTHER = "bb".repeat(32);
    private static final Path SAMPLE = Path.of("..", "docs", "domain_template.txt");

    @TempDir
    Path tmp;

    private Path dir;
    private final List<Result> results = new ArrayList<>();

    @BeforeEach
    void paths() {
        dir = tmp.resolve("domain");
    }

    private Result tao(Map<String, String> env, String... args) {
        Result r = CliRunner.run(new ByteArrayInputStream(new byte[0]), env, null, args);
        results.add(r);
        assertThat(r.out()).doesNotContain(PASSWORD);
        assertThat(r.err()).doesNotContain(PASSWORD);
        return r;
    }

    private Result init() {
        return tao(WITH_PASSWORD, "domain", "init", "--template", SAMPLE.toString(), dir.toString());
    }

    private Result policy(Map<String, String> env, String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "domain";
        all[1] = "policy";
        all[2] = dir.toString();
        System.arraycopy(args, 0, all, 3, args.length);
        return tao(env, all);
    }

    private Result query(String statement) {
        return policy(Map.of(), "--query", statement);
    }

    private static String execute(String hash) {
        return "Authorized(" + HOST + ".Program([" + hash + "]), \"Execute\")";
    }

    private static void assertFails(Result r, String command, String message) {
        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).containsExactly("tao domain " + command + ": " + message);
    }

    @Test
    void initAddProgramsQuery_answersPerTheRules() throws Exception {
        Result created = init();
        assertThat(created.status()).isZero();
        assertThat(created.out()).isEqualTo(Domain.load(dir).policyPrincipal() + "\n");
        assertThat(created.errLines()).containsExactly(
                "tao domain init: created the domain Example Tao Domain (datalog guard) in " + dir);

        Result added = policy(WITH_PASSWORD, "--add-host", HOST, "--add-programs", HASH, "cc".repeat(32));
        assertThat(added.status()).isZero();
        assertThat(added.out()).isEmpty();
        assertThat(added.errLines()).containsExactly("tao domain policy: saved 14 rules as policy version 2, signed by "
                + Domain.load(dir).policyPrincipal());

        Result yes = query(execute(HASH));
        assertThat(yes.status()).isZero();
        assertThat(yes.out()).isEqualTo("true\n");
        assertThat(yes.err()).isEmpty();

        Result no = query(execute(OTHER));
        assertThat(no.status()).isEqualTo(1);
        assertThat(no.out()).isEqualTo("false\n");
        assertThat(no.err()).isEmpty();
    }

    @Test
    void show_printsTheRulesOnePerLine() {
        init();
        policy(WITH_PASSWORD, "--add-programs", HASH, "--canexecute", HOST);

        Result r = policy(Map.of(), "--show");

        assertThat(r.status()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(13);
        assertThat(lines.get(0)).startsWith("forall P: forall Host: forall Hash: TrustedHost(Host)");
        assertThat(lines.subList(11, 13)).containsExactly(
                "TrustedProgramHash(ext.Program([" + HASH + "]))",
                "Authorized(" + HOST + ", \"Execute\")");
    }

    @Test
    void retractPrograms_removesTheFact() {
        init();
        policy(WITH_PASSWORD, "--add-host", HOST, "--add-programs", HASH);

        Result r = policy(WITH_PASSWORD, "--retract-programs", HASH, "--query", execute(HASH));

        assertThat(r.out()).isEqualTo("false\n");
        assertThat(query(execute(HASH)).out()).isEqualTo("false\n");
        assertThat(query("TrustedHost(" + HOST + ")").out()).isEqualTo("true\n");
    }

    @Test
    void retractSomethingAbsent_failsAndChangesNothing() throws Exception {
        init();
        policy(WITH_PASSWORD, "--add-host", HOST);
        byte[] before = Files.readAllBytes(dir.resolve("rules.datalog"));

        Result r = policy(WITH_PASSWORD, "--add-programs", HASH, "--retract-host", "key([00])");

        assertFails(r, "policy", "not in the policy, nothing changed: TrustedHost(key([00]))");
        assertThat(Files.readAllBytes(dir.resolve("rules.datalog"))).isEqualTo(before);
    }

    @Test
    void clear_removesEveryRule() {
        init();

        Result r = policy(WITH_PASSWORD, "--clear", "--show");

        assertThat(r.status()).isZero();
        assertThat(r.out()).isEmpty();
        assertThat(policy(Map.of(), "--show").out()).isEmpty();
    }

    @Test
    void addAndRetractRules_andOtherFacts() {
        init();

        policy(WITH_PASSWORD, "--add", "Ready(" + HOST + ")", "--add-linux-host", HASH,
                "--add-guard", "ext.DatalogGuard([00])");

        assertThat(query("Ready(" + HOST + ")").out()).isEqualTo("true\n");
        assertThat(query("TrustedLinuxHost(ext.LinuxHost([" + HASH + "]))").out()).isEqualTo("true\n");
        assertThat(query("TrustedGuard(ext.DatalogGuard([00]))").out()).isEqualTo("true\n");
        policy(WITH_PASSWORD, "--retract", "Ready(" + HOST + ")", "--retract-linux-host", HASH,
                "--retract-guard", "ext.DatalogGuard([00])");
        assertThat(policy(Map.of(), "--show").out().lines()).hasSize(11);
    }

    @Test
    void refusedRule_changesNothing() {
        init();

        Result r = policy(WITH_PASSWORD, "--add-host", HOST, "--add", "forall P: Trusted(P)");

        assertThat(r.status()).isEqualTo(1);
        assertThat(r.errLines()).singleElement().asString().startsWith("tao domain policy: nothing changed: ");
        assertThat(query("TrustedHost(" + HOST + ")").out()).isEqualTo("false\n");
    }

    @Test
    void change_wrongPassword_isRefused() {
        init();

        Result r = policy(Map.of(Passwords.ENV, "not it"), "--add-host", HOST);

        assertFails(r, "policy", "wrong password for the policy key of " + dir);
    }

    @Test
    void change_withoutAnyPasswordSource_isRefused() {
        init();

        Result r = policy(Map.of(), "--add-host", HOST);

        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).startsWith("tao domain policy: no password:");
    }

    @Test
    void badArguments_areReportedBeforeOpeningTheDomain() {
        assertFails(policy(Map.of(), "--add-programs", "abc"), "policy",
                "--add-programs: a hash must be 32 bytes (64 hex digits)");
        assertThat(policy(Map.of(), "--add-host", "key(").errLines().get(0)).startsWith(
                "tao domain policy: --add-host: not a principal: ");
        assertThat(policy(Map.of(), "--add-guard", HOST).errLines()).containsExactly(
                "tao domain policy: --add-guard: expected a guard such as ext.DatalogGuard([..])");
    }

    @Test
    void handEditedGuardFile_isRefused() throws Exception {
        init();
        Path rules = dir.resolve("rules.datalog");
        byte[] bytes = Files.readAllBytes(rules);
        bytes[bytes.length - 20] ^= 1;
        Files.write(rules, bytes);

        Result r = query(execute(HASH));

        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).singleElement().asString()
                .startsWith("tao domain policy: cannot load the domain in " + dir + ": rules.datalog: ");
    }

    @Test
    void handEditedConfig_isRefused() throws Exception {
        init();
        Path config = dir.resolve(Domain.CONFIG_FILE);
        Files.writeString(config, Files.readString(config).replace("Example", "Exemplary"));

        assertFails(query(execute(HASH)), "policy",
                "cannot load the domain in " + dir + ": tao.config is not signed by the policy key");
    }

    @Test
    void nothingToDo_isAUsageError() {
        init();

        Result r = policy(Map.of());

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_USAGE);
        assertThat(r.errLines().get(0)).isEqualTo("tao domain policy: nothing to do: give --show, --query or a change");
    }

    @Test
    void init_existingDomain_isRefusedBeforeAskingForAPassword() throws Exception {
        init();
        byte[] cert = Files.readAllBytes(dir.resolve(Domain.POLICY_CERT_FILE));

        Result r = tao(Map.of(), "domain", "init", "--template", SAMPLE.toString(), dir.toString());

        assertFails(r, "init", dir + " already holds a domain; choose another directory or remove it first");
        assertThat(Files.readAllBytes(dir.resolve(Domain.POLICY_CERT_FILE))).isEqualTo(cert);
    }

    @Test
    void init_badTemplate_namesTheLine() throws Exception {
        Path template = Files.writeString(tmp.resolve("t.txt"), "name = x\nguard = datalog\nprogram = 12\n");

        Result r = tao(WITH_PASSWORD, "domain", "init", "--template", template.toString(), dir.toString());

        assertFails(r, "init", "template " + template + " line 3: program: a hash must be 32 bytes (64 hex digits)");
        assertThat(dir).doesNotExist();
    }

    @Test
    void liberalDomain_answersTrueAndRefusesChangesWithoutAskingForAPassword() throws Exception {
        Path template = Files.writeString(tmp.resolve("t.txt"), "name = dev\nguard = liberal\n");
        assertThat(tao(WITH_PASSWORD, "domain", "init", "--template", template.toString(), dir.toString())
                .status()).isZero();

        assertThat(query(execute(HASH)).out()).isEqualTo("true\n");
        assertFails(policy(Map.of(), "--add-host", HOST), "policy",
                "the domain's liberal guard has a fixed policy; it cannot be changed");
    }

    @Test
    void passwordAsAnArgument_isNotAnOption() {
        Result r = tao(Map.of(), "domain", "init", "--password", PASSWORD, "--template", SAMPLE.toString(),
                dir.toString());

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_USAGE);
        assertThat(dir).doesNotExist();
    }

    @Test
    void passwordFile_isUsedForInitAndChanges() throws Exception {
        Path pw = Files.writeString(tmp.resolve("pw"), PASSWORD + "\n");

        assertThat(tao(Map.of(), "domain", "init", "--password-file", pw.toString(), "--template",
                SAMPLE.toString(), dir.toString()).status()).isZero();
        assertThat(policy(Map.of(), "--password-file", pw.toString(), "--add-host", HOST).status()).isZero();

        assertThat(query("TrustedHost(" + HOST + ")").out()).isEqualTo("true\n");
    }

    @Test
    void addTpm2AndTpm2Pcrs_fromAHostsName_makeThatTpmInThoseValuesATrustedPlatform_andItsGuardedHostATrustedHost() {
        init();
        String ak = "tpm2([" + "22".repeat(32) + "])";
        String pcrs = "PCRs(\"0,23\", \"" + "00".repeat(32) + "," + "33".repeat(32) + "\")";
        String host = ak + "." + pcrs + ".DatalogGuard([00])";

        Result added = policy(WITH_PASSWORD, "--add-tpm2", host, "--add-tpm2-pcrs", host, "--add-guard", "ext.DatalogGuard([00])");

        assertThat(added.status()).as(added.err()).isZero();
        assertThat(query("TrustedTpm(" + ak + ")").out()).isEqualTo("true\n");
        assertThat(query("TrustedTpmPcrs(ext." + pcrs + ")").out()).isEqualTo("true\n");
        assertThat(query("TrustedPlatform(" + ak + "." + pcrs + ")").out()).isEqualTo("true\n");
        assertThat(query("TrustedHost(" + host + ")").out()).isEqualTo("true\n");
        String otherValues = "PCRs(\"0,23\", \"" + "00".repeat(32) + "," + "44".repeat(32) + "\")";
        assertThat(query("TrustedPlatform(" + ak + "." + otherValues + ")").out()).isEqualTo("false\n");

        assertThat(policy(WITH_PASSWORD, "--retract-tpm2-pcrs", "ext." + pcrs).status()).isZero();
        assertThat(query("TrustedHost(" + host + ")").out()).isEqualTo("false\n");
    }

    @Test
    void tpm2Options_refuseWhatIsNotATpmKeyOrCanonicalPcrValues_beforeAnythingChanges() {
        init();
        assertFails(policy(WITH_PASSWORD, "--add-tpm2", HOST), "policy",
                "--add-tpm2: expected a TPM attestation key tpm2([..]) or a name starting with it");
        Result badPcrs = policy(WITH_PASSWORD, "--add-tpm2-pcrs", "ext.PCRs(\"23,0\", \"00,11\")");
        assertThat(badPcrs.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(badPcrs.err()).startsWith("tao domain policy: --add-tpm2-pcrs: not PCR values: ");
        assertThat(policy(Map.of(), "--show").out().lines()).hasSize(11);
    }
}
