package dev.cloudproxy.tao.guard;

import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Pred;
import java.util.List;

/**
 * The rules of a {@link RuleSetGuard} and the way it answers queries. Not thread-safe: the guard
 * serializes every call. Every method that throws leaves the store as it was.
 */
interface RuleStore {

    /** Adds a rule; false if an equal one is present. */
    boolean add(Form rule) throws GuardException;

    /** Replaces all rules by {@code rules} (a freshly loaded file), or throws and changes nothing. */
    void replaceAll(List<Form> rules) throws GuardException;

    /** Removes a rule equal to {@code rule}; false if there is none. */
    boolean remove(Form rule) throws GuardException;

    void clear();

    boolean query(Form statement) throws GuardException;

    /** Whether a ground fact holds: the fast path of authorization checks. */
    boolean holds(Pred fact);

    /** The rules in the order they were added. */
    List<Form> rules();
}
