package dev.cloudproxy.tao.guard;

import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.auth.Term;
import dev.cloudproxy.tao.keys.Signer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An authorization policy: decides whether a principal may perform an operation, and more generally
 * whether a statement of the auth language follows from the policy's rules.
 *
 * <p>Authorizing {@code name} for {@code op} with {@code args} is the fact
 * {@code Authorized(name, "op", "arg1", ...)}; {@link #isAuthorized} asks whether that fact holds.
 * Statements are compared as parsed elements, never as printed text.
 *
 * <p>A guard names itself with {@link #subprincipal()}, which a program appends to its own name so
 * that the name says which policy it enforces. Implementations are safe for use by several threads.
 */
public interface Guard {

    /**
     * The subprincipal naming this guard and its current policy, such as
     * {@code DatalogGuard([hash of the rule set])}. It changes whenever the rules change.
     */
    SubPrin subprincipal();

    /**
     * Adds the fact {@code Authorized(name, "op", "arg"...)}.
     *
     * @throws GuardException if the guard cannot hold it within its bounds
     * @throws UnsupportedOperationException if this guard has a fixed policy
     */
    void authorize(Prin name, String op, List<String> args) throws GuardException;

    /**
     * Removes the fact {@code Authorized(name, "op", "arg"...)} if it was added; the principal may
     * still be authorized by other rules.
     *
     * @return whether the fact was present
     * @throws GuardException if re-evaluating the remaining rules exceeds the guard's bounds
     * @throws UnsupportedOperationException if this guard has a fixed policy
     */
    boolean retract(Prin name, String op, List<String> args) throws GuardException;

    /** Whether {@code Authorized(name, "op", "arg"...)} holds under this guard's policy. */
    boolean isAuthorized(Prin name, String op, List<String> args);

    /**
     * Parses and adds a rule or fact. Adding one that is already present changes nothing.
     *
     * @throws GuardException if the text does not parse or the rule is not supported by this guard
     * @throws UnsupportedOperationException if this guard has a fixed policy
     */
    void addRule(String rule) throws GuardException;

    /** Adds a rule or fact; see {@link #addRule(String)}. */
    void addRule(Form rule) throws GuardException;

    /**
     * Removes a rule equal (as a parsed element) to the given one.
     *
     * @return whether it was present
     * @throws GuardException if the text does not parse, or re-evaluation exceeds the bounds
     * @throws UnsupportedOperationException if this guard has a fixed policy
     */
    boolean retractRule(String rule) throws GuardException;

    /** Removes a rule; see {@link #retractRule(String)}. */
    boolean retractRule(Form rule) throws GuardException;

    /**
     * Removes every rule, so that nothing is authorized.
     *
     * @throws UnsupportedOperationException if this guard has a fixed policy
     */
    void clear();

    /**
     * Whether the statement holds under this guard's policy.
     *
     * @throws GuardException if the text does not parse or the query is not supported by this guard
     */
    boolean query(String statement) throws GuardException;

    /** Whether the statement holds; see {@link #query(String)}. */
    boolean query(Form statement) throws GuardException;

    /** The number of rules and facts that were added (not those derived). */
    int ruleCount();

    /**
     * The rule at {@code index}, in the order they were added.
     *
     * @throws IndexOutOfBoundsException if there is no such rule
     */
    Form getRule(int index);

    /**
     * Writes the rules to this guard's file, signed by the policy key. Guards with a fixed policy
     * have nothing to save and do nothing.
     *
     * @throws IllegalArgumentException if {@code policyKey} is not the key this guard trusts
     * @throws IllegalStateException if this guard has rules but no file
     * @throws IOException if the file cannot be written; the old file is then unchanged
     */
    void save(Signer policyKey) throws IOException;

    /** The fact {@code Authorized(name, "op", "arg"...)} that authorizing those values adds. */
    static Pred authorization(Prin name, String op, List<String> args) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(args, "args");
        List<Term> terms = new ArrayList<>(args.size() + 2);
        terms.add(name);
        terms.add(new Str(op));
        for (String arg : args) {
            terms.add(new Str(Objects.requireNonNull(arg, "args must not contain null")));
        }
        return new Pred("Authorized", terms);
    }
}
