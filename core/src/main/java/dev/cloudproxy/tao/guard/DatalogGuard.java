package dev.cloudproxy.tao.guard;

import dev.cloudproxy.tao.keys.Verifier;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A guard whose policy is a Datalog program written in the auth language, as in CloudProxy:
 * facts such as {@code TrustedHost(key([..]))} and rules such as
 *
 * <pre>
 * forall P: forall Host: forall Hash: TrustedHost(Host) and TrustedProgramHash(Hash)
 *     and Subprin(P, Host, Hash) implies MemberProgram(P)
 * forall P: MemberProgram(P) implies Authorized(P, "Execute")
 * </pre>
 *
 * <p>Conditions are predicates, {@code T says Pred(...)} and the built-in
 * {@code Subprin(P, Parent, Ext)}, joined by {@code and}; conclusions are a predicate or
 * {@code T says Pred(...)}. Rules outside this subset (or, not, nested implies, speaksfor, time
 * bounds) and unsafe rules (a variable of the conclusion, or of a Subprin, that no condition binds)
 * are refused when added. Evaluation is bottom-up and bounded; a rule whose consequences would pass
 * the bounds is refused and leaves the guard as it was. {@code docs/guards.md} has the details.
 *
 * <p>Queries are a ground fact (a hash lookup), or {@code exists X: ...} over a conjunction of
 * conditions. Named {@code DatalogGuard([SHA-256 of the signed part of its rule file])}; see
 * {@link RuleSetGuard} for files and reloading.
 */
public final class DatalogGuard extends RuleSetGuard {

    private DatalogGuard(Path file, Verifier policy, DatalogEngine.Limits limits) {
        super(SignedRuleFile.KIND_DATALOG, "DatalogGuard", new DatalogEngine(limits), file, policy);
    }

    /** An empty guard with no file. */
    public static DatalogGuard inMemory() {
        return new DatalogGuard(null, null, DatalogEngine.Limits.DEFAULT);
    }

    /** An empty guard with no file and the given bounds, for tests of the bounds. */
    static DatalogGuard inMemory(DatalogEngine.Limits limits) {
        return new DatalogGuard(null, null, limits);
    }

    /**
     * An empty guard that saves to {@code file}, which must not exist yet, and trusts rule files
     * signed by {@code policy}.
     */
    public static DatalogGuard create(Path file, Verifier policy) throws IOException {
        DatalogGuard guard = new DatalogGuard(Objects.requireNonNull(file, "file"),
                Objects.requireNonNull(policy, "policy"), DatalogEngine.Limits.DEFAULT);
        guard.createNow();
        return guard;
    }

    /**
     * A guard with the rules of {@code file}, which must be a Datalog rule file signed by
     * {@code policy}.
     *
     * @throws GuardException if the file is malformed, not signed by {@code policy}, or holds a
     *     rule this guard refuses
     */
    public static DatalogGuard load(Path file, Verifier policy) throws IOException, GuardException {
        DatalogGuard guard = new DatalogGuard(Objects.requireNonNull(file, "file"),
                Objects.requireNonNull(policy, "policy"), DatalogEngine.Limits.DEFAULT);
        guard.loadNow();
        return guard;
    }
}
