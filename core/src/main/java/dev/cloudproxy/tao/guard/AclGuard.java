package dev.cloudproxy.tao.guard;

import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.keys.Verifier;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A guard that is a set of statements: a query holds exactly when an equal statement was added.
 * Nothing is derived, so {@code forall} rules are stored and matched like any other statement.
 * Equality is that of parsed elements, so {@code P( "a" )} and {@code (P("a"))} are the same
 * statement while {@code P([aa])} and {@code P([ab])} are not; text is never compared.
 *
 * <p>Named {@code ACLGuard([SHA-256 of the signed part of its rule file])}. See
 * {@link RuleSetGuard} for files and reloading.
 */
public final class AclGuard extends RuleSetGuard {

    private AclGuard(Path file, Verifier policy) {
        super(SignedRuleFile.KIND_ACL, "ACLGuard", new AclStore(), file, policy);
    }

    /** An empty guard with no file. */
    public static AclGuard inMemory() {
        return new AclGuard(null, null);
    }

    /**
     * An empty guard that saves to {@code file}, which must not exist yet, and trusts rule files
     * signed by {@code policy}.
     */
    public static AclGuard create(Path file, Verifier policy) throws IOException {
        AclGuard guard = new AclGuard(Objects.requireNonNull(file, "file"), Objects.requireNonNull(policy, "policy"));
        guard.createNow();
        return guard;
    }

    /**
     * A guard with the rules of {@code file}, which must be an ACL rule file signed by
     * {@code policy}.
     *
     * @throws GuardException if the file is malformed or not signed by {@code policy}
     */
    public static AclGuard load(Path file, Verifier policy) throws IOException, GuardException {
        AclGuard guard = new AclGuard(Objects.requireNonNull(file, "file"), Objects.requireNonNull(policy, "policy"));
        guard.loadNow();
        return guard;
    }

    private static final class AclStore implements RuleStore {
        private final List<Form> rules = new ArrayList<>();
        private final Set<Form> set = new HashSet<>();

        @Override
        public boolean add(Form rule) {
            if (!set.add(rule)) {
                return false;
            }
            rules.add(rule);
            return true;
        }

        @Override
        public void replaceAll(List<Form> newRules) {
            clear();
            for (Form rule : newRules) {
                add(rule);
            }
        }

        @Override
        public boolean remove(Form rule) {
            if (!set.remove(rule)) {
                return false;
            }
            rules.remove(rule);
            return true;
        }

        @Override
        public void clear() {
            rules.clear();
            set.clear();
        }

        @Override
        public boolean query(Form statement) {
            return set.contains(statement);
        }

        @Override
        public boolean holds(Pred fact) {
            return set.contains(fact);
        }

        @Override
        public List<Form> rules() {
            return Collections.unmodifiableList(rules);
        }
    }
}
