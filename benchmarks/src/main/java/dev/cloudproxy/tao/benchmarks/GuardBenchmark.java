package dev.cloudproxy.tao.benchmarks;

import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.guard.AclGuard;
import dev.cloudproxy.tao.guard.DatalogGuard;
import dev.cloudproxy.tao.guard.Guard;
import dev.cloudproxy.tao.guard.GuardException;
import dev.cloudproxy.tao.keys.Signer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of guard decisions on the template policy of the CloudProxy papers, with 10 trusted hosts
 * and 20 trusted program hashes (200 member programs derived):
 *
 * <pre>
 * forall P: forall Host: forall Hash: TrustedHost(Host) and TrustedProgramHash(Hash)
 *     and Subprin(P, Host, Hash) implies MemberProgram(P)
 * forall P: MemberProgram(P) implies Authorized(P, "Execute")
 * </pre>
 *
 * <p>Baselines in the same run: a {@code HashSet} lookup of the same {@code Authorized} fact (the
 * least a materialised answer can cost) and parsing the query text (what every text query pays
 * before it is answered). See {@code benchmarks/README.md}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@State(Scope.Benchmark)
public class GuardBenchmark {
    static final int HOSTS = 10;
    static final int HASHES = 20;

    private DatalogGuard datalog;
    private DatalogGuard fileBacked;
    private AclGuard acl;
    private Path dir;
    private Prin member;
    private Prin stranger;
    private String queryText;
    private Form queryForm;
    private String existsText;
    private Set<Form> baselineSet;
    private String newHashRule;

    @Setup
    public void setUp() throws GuardException, IOException, AuthFormatException {
        datalog = DatalogGuard.inMemory();
        template(datalog);
        acl = AclGuard.inMemory();
        member = host(3).extend(program(7));
        stranger = host(3).extend(program(HASHES + 1));
        acl.authorize(member, "Execute", List.of());

        dir = Files.createTempDirectory("guard-bench");
        try (Signer policy = Signer.generate()) {
            DatalogGuard writer = DatalogGuard.create(dir.resolve("policy.rules"), policy.verifier());
            template(writer);
            writer.save(policy);
            fileBacked = DatalogGuard.load(dir.resolve("policy.rules"), policy.verifier());
        }

        queryText = "MemberProgram(" + member + ")";
        queryForm = Form.parse(queryText);
        existsText = "exists H: TrustedHost(H) and Subprin(" + member + ", H, ext." + program(7) + ")";
        baselineSet = new HashSet<>();
        for (int i = 0; i < HOSTS * HASHES; i++) {
            baselineSet.add(Guard.authorization(host(i % HOSTS).extend(program(i / HOSTS)), "Execute", List.of()));
        }
        newHashRule = "TrustedProgramHash(ext." + program(HASHES + 5) + ")";

        check(datalog.isAuthorized(member, "Execute", List.of()), "member is not authorized");
        check(!datalog.isAuthorized(stranger, "Execute", List.of()), "stranger is authorized");
        check(fileBacked.isAuthorized(member, "Execute", List.of()), "file-backed guard disagrees");
        check(datalog.query(existsText), "exists query fails");
        check(baselineSet.contains(Guard.authorization(member, "Execute", List.of())), "baseline set misses");
    }

    @TearDown
    public void tearDown() throws IOException {
        Files.deleteIfExists(dir.resolve("policy.rules"));
        Files.deleteIfExists(dir);
    }

    /** A derived authorization: one fact built and looked up. */
    @Benchmark
    public boolean isAuthorizedMember() {
        return datalog.isAuthorized(member, "Execute", List.of());
    }

    /** A refusal costs the same lookup. */
    @Benchmark
    public boolean isAuthorizedStranger() {
        return datalog.isAuthorized(stranger, "Execute", List.of());
    }

    /** The same on a guard backed by a signed file: adds the stat that notices a changed file. */
    @Benchmark
    public boolean isAuthorizedFileBacked() {
        return fileBacked.isAuthorized(member, "Execute", List.of());
    }

    /** An ACL guard: the same lookup, nothing derived. */
    @Benchmark
    public boolean isAuthorizedAcl() {
        return acl.isAuthorized(member, "Execute", List.of());
    }

    /** A ground query as text: parse, then look up. */
    @Benchmark
    public boolean queryText() throws GuardException {
        return datalog.query(queryText);
    }

    /** A ground query already parsed. */
    @Benchmark
    public boolean queryForm() throws GuardException {
        return datalog.query(queryForm);
    }

    /** A query with a variable and Subprin: parse, compile, search. */
    @Benchmark
    public boolean queryExists() throws GuardException {
        return datalog.query(existsText);
    }

    /** Trusting one more hash (incremental) and withdrawing it (full recomputation). */
    @Benchmark
    public boolean addAndRetractHash() throws GuardException {
        datalog.addRule(newHashRule);
        return datalog.retractRule(newHashRule);
    }

    /** Baseline: a HashSet lookup of the same Authorized fact, built the same way. */
    @Benchmark
    public boolean baselineHashSetLookup() {
        return baselineSet.contains(Guard.authorization(member, "Execute", List.of()));
    }

    /** Baseline: parsing the query text. */
    @Benchmark
    public Form baselineParseQuery() throws AuthFormatException {
        return Form.parse(queryText);
    }

    private static void template(Guard guard) throws GuardException {
        guard.addRule("forall P: forall Host: forall Hash: TrustedHost(Host) and TrustedProgramHash(Hash)"
                + " and Subprin(P, Host, Hash) implies MemberProgram(P)");
        guard.addRule("forall P: MemberProgram(P) implies Authorized(P, \"Execute\")");
        for (int i = 0; i < HOSTS; i++) {
            guard.addRule("TrustedHost(" + host(i) + ")");
        }
        for (int i = 0; i < HASHES; i++) {
            guard.addRule("TrustedProgramHash(ext." + program(i) + ")");
        }
    }

    private static Prin host(int i) {
        return Prin.key(sha256("host " + i));
    }

    private static PrinExt program(int i) {
        return PrinExt.of("Program", new Bytes(sha256("program " + i)));
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what);
        }
    }

    private static byte[] sha256(String label) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(label.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }
}
