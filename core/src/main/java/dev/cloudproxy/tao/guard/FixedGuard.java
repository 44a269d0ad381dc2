package dev.cloudproxy.tao.guard;

import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.keys.Signer;
import java.util.List;
import java.util.Objects;

/**
 * A guard whose answer never depends on rules. Every attempt to change its rules throws
 * {@link UnsupportedOperationException}: silently ignoring a rule would let a caller believe it had
 * narrowed a policy that in fact still allows everything.
 */
abstract sealed class FixedGuard implements Guard permits LiberalGuard, ConservativeGuard {
    private final SubPrin name;
    private final boolean answer;

    FixedGuard(String extensionName, boolean answer) {
        this.name = SubPrin.of(PrinExt.of(extensionName));
        this.answer = answer;
    }

    @Override
    public final SubPrin subprincipal() {
        return name;
    }

    @Override
    public final void authorize(Prin name, String op, List<String> args) {
        throw refuse();
    }

    @Override
    public final boolean retract(Prin name, String op, List<String> args) {
        throw refuse();
    }

    @Override
    public final boolean isAuthorized(Prin name, String op, List<String> args) {
        Guard.authorization(name, op, args); // the same argument checks as every other guard
        return answer;
    }

    @Override
    public final void addRule(String rule) {
        Objects.requireNonNull(rule, "rule");
        throw refuse();
    }

    @Override
    public final void addRule(Form rule) {
        Objects.requireNonNull(rule, "rule");
        throw refuse();
    }

    @Override
    public final boolean retractRule(String rule) {
        throw refuse();
    }

    @Override
    public final boolean retractRule(Form rule) {
        throw refuse();
    }

    @Override
    public final void clear() {
        throw refuse();
    }

    @Override
    public final boolean query(String statement) throws GuardException {
        try {
            Form.parse(Objects.requireNonNull(statement, "statement"));
        } catch (AuthFormatException e) {
            throw new GuardException("query does not parse: " + e.getMessage(), e);
        }
        return answer;
    }

    @Override
    public final boolean query(Form statement) {
        Objects.requireNonNull(statement, "statement");
        return answer;
    }

    @Override
    public final int ruleCount() {
        return 0;
    }

    @Override
    public final Form getRule(int index) {
        throw new IndexOutOfBoundsException("a " + name + " guard has no rules");
    }

    /** Nothing to save: the guard's name is its whole policy. */
    @Override
    public final void save(Signer policyKey) {
        Objects.requireNonNull(policyKey, "policyKey");
    }

    @Override
    public String toString() {
        return name.toString();
    }

    private UnsupportedOperationException refuse() {
        return new UnsupportedOperationException(
                "the policy of " + name + " is fixed; use an AclGuard or DatalogGuard for rules");
    }
}
