package dev.cloudproxy.tao.guard;

import dev.cloudproxy.tao.auth.And;
import dev.cloudproxy.tao.auth.AuthLimits;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Const;
import dev.cloudproxy.tao.auth.Exists;
import dev.cloudproxy.tao.auth.Forall;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Implies;
import dev.cloudproxy.tao.auth.Int;
import dev.cloudproxy.tao.auth.Not;
import dev.cloudproxy.tao.auth.Or;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.PrinTail;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.auth.Term;
import dev.cloudproxy.tao.auth.TermVar;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Datalog subset of the auth language, compiled for evaluation: patterns (terms with variables
 * numbered into slots), atoms, the built-in {@code Subprin}, rules with their evaluation plans, and
 * queries. Everything outside the subset is refused here with a one-line reason, so the evaluator
 * never meets a shape it would have to guess at.
 */
final class Datalog {
    static final String SUBPRIN = "Subprin";
    /** Most conditions in one rule body or query. */
    static final int MAX_BODY = 64;

    private Datalog() {}

    // ---- patterns ----

    /** A term that may contain variables. */
    sealed interface Pat permits Ground, Var, PrinPat, TailPat {}

    record Ground(Term term) implements Pat {}

    record Var(int slot, String name) implements Pat {}

    record PrinPat(String type, Pat key, List<ExtPat> exts) implements Pat {}

    record TailPat(List<ExtPat> exts) implements Pat {}

    record ExtPat(String name, List<Pat> args) {}

    /** The relation a fact belongs to: {@code Name/arity}, or {@code says Name/arity}. */
    record RelKey(boolean says, String name, int arity) {
        static RelKey of(Form fact) {
            if (fact instanceof Says s) {
                Pred p = (Pred) s.message();
                return new RelKey(true, p.name(), p.args().size());
            }
            Pred p = (Pred) fact;
            return new RelKey(false, p.name(), p.args().size());
        }
    }

    /** A body condition. */
    sealed interface Literal permits Atom, SubprinLit {}

    /** {@code Name(args)} or {@code speaker says Name(args)}; {@code speaker} is null for the first. */
    record Atom(Pat speaker, String name, List<Pat> args, RelKey key) implements Literal {}

    /** The built-in {@code Subprin(prin, parent, ext)}: prin is parent extended by ext. */
    record SubprinLit(Pat prin, Pat parent, Pat ext) implements Literal {}

    /**
     * A rule {@code body implies head} with {@code slots} variables. {@code plans[i]} is the order
     * in which to evaluate the body when literal {@code i} (an atom) ranges over new facts only;
     * {@code fullPlan} is the order when every atom ranges over all facts.
     */
    record Rule(Form source, Atom head, List<Literal> body, int slots, int[] fullPlan, int[][] plans) {}

    /** A query: does some assignment of its {@code exists} variables satisfy the body? */
    record Query(List<Literal> body, int slots, int[] plan) {}

    // ---- compiling ----

    /** A fact (a ground atom) or null if {@code rule} is not a fact. */
    static Form asFact(Form rule) {
        if (rule instanceof Pred p && !p.name().equals(SUBPRIN) && isGround(p)) {
            return p;
        }
        if (rule instanceof Says s && s.from().isEmpty() && s.until().isEmpty() && s.message() instanceof Pred p
                && !p.name().equals(SUBPRIN) && isGround(s)) {
            return s;
        }
        return null;
    }

    /** Compiles a rule that is not a fact. */
    static Rule compileRule(Form rule) throws GuardException {
        Map<String, Integer> slots = new LinkedHashMap<>();
        Form f = rule;
        while (f instanceof Forall q) {
            if (slots.putIfAbsent(q.var(), slots.size()) != null) {
                throw new GuardException("rule quantifies " + q.var() + " twice");
            }
            f = q.body();
        }
        Form headForm;
        List<Literal> body = new ArrayList<>();
        if (f instanceof Implies i) {
            headForm = i.consequent();
            conditions(i.antecedent(), slots, body);
        } else {
            headForm = f;
        }
        Atom head = atom(headForm, slots, "the conclusion of a rule");
        if (head == null) {
            throw new GuardException("the conclusion of a rule must be a predicate or 'T says Pred(...)', not "
                    + shape(headForm));
        }
        if (head.name().equals(SUBPRIN)) {
            throw new GuardException("Subprin is built in; a rule cannot conclude it");
        }
        int n = slots.size();
        List<String> names = new ArrayList<>(slots.keySet());
        int[] fullPlan = plan(body, -1, n, names);
        BitSet bound = boundBy(body, n);
        BitSet headVars = new BitSet(n);
        vars(head, headVars);
        headVars.andNot(bound);
        if (!headVars.isEmpty()) {
            throw new GuardException("unsafe rule: variable " + names.get(headVars.nextSetBit(0))
                    + " in the conclusion is not bound by any condition");
        }
        int[][] plans = new int[body.size()][];
        for (int i = 0; i < body.size(); i++) {
            if (body.get(i) instanceof Atom) {
                plans[i] = plan(body, i, n, names);
            }
        }
        return new Rule(rule, head, List.copyOf(body), n, fullPlan, plans);
    }

    /** Compiles a query: {@code exists X: ...} over a conjunction of atoms and Subprin. */
    static Query compileQuery(Form query) throws GuardException {
        Map<String, Integer> slots = new LinkedHashMap<>();
        Form f = query;
        while (f instanceof Exists q) {
            if (slots.putIfAbsent(q.var(), slots.size()) != null) {
                throw new GuardException("query quantifies " + q.var() + " twice");
            }
            f = q.body();
        }
        List<Literal> body = new ArrayList<>();
        conditions(f, slots, body);
        int[] plan = plan(body, -1, slots.size(), new ArrayList<>(slots.keySet()));
        return new Query(List.copyOf(body), slots.size(), plan);
    }

    private static void conditions(Form f, Map<String, Integer> slots, List<Literal> out) throws GuardException {
        if (f instanceof And a) {
            for (Form c : a.conjuncts()) {
                conditions(c, slots, out);
            }
            return;
        }
        if (f instanceof Const c && c.value()) {
            return;
        }
        if (f instanceof Pred p && p.name().equals(SUBPRIN)) {
            if (p.args().size() != 3) {
                throw new GuardException("Subprin takes 3 arguments (P, Parent, Ext), got " + p.args().size());
            }
            out.add(new SubprinLit(pat(p.args().get(0), slots), pat(p.args().get(1), slots), pat(p.args().get(2), slots)));
        } else {
            Atom atom = atom(f, slots, "a condition");
            if (atom == null) {
                throw new GuardException("unsupported condition " + shape(f)
                        + ": conditions are predicates, 'T says Pred(...)' and Subprin, joined by 'and'");
            }
            out.add(atom);
        }
        if (out.size() > MAX_BODY) {
            throw new GuardException("more than " + MAX_BODY + " conditions");
        }
    }

    /** An atom, or null if {@code f} is not one. */
    private static Atom atom(Form f, Map<String, Integer> slots, String where) throws GuardException {
        if (f instanceof Pred p) {
            return new Atom(null, p.name(), pats(p.args(), slots), new RelKey(false, p.name(), p.args().size()));
        }
        if (f instanceof Says s && s.message() instanceof Pred p) {
            if (s.from().isPresent() || s.until().isPresent()) {
                throw new GuardException("time bounds on 'says' are not supported in " + where);
            }
            if (p.name().equals(SUBPRIN)) {
                throw new GuardException("Subprin is built in; it cannot be said");
            }
            return new Atom(pat(s.speaker(), slots), p.name(), pats(p.args(), slots),
                    new RelKey(true, p.name(), p.args().size()));
        }
        return null;
    }

    private static List<Pat> pats(List<Term> terms, Map<String, Integer> slots) throws GuardException {
        List<Pat> out = new ArrayList<>(terms.size());
        for (Term t : terms) {
            out.add(pat(t, slots));
        }
        return List.copyOf(out);
    }

    private static Pat pat(Term t, Map<String, Integer> slots) throws GuardException {
        if (t instanceof TermVar v) {
            Integer slot = slots.get(v.name());
            if (slot == null) {
                throw new GuardException("variable " + v.name() + " is not quantified");
            }
            return new Var(slot, v.name());
        }
        if (isGround(t)) {
            return new Ground(t);
        }
        if (t instanceof Prin p) {
            return new PrinPat(p.type(), pat(p.key(), slots), extPats(p.ext(), slots));
        }
        if (t instanceof PrinTail p) {
            return new TailPat(extPats(p.ext(), slots));
        }
        throw new AssertionError("a term with a variable is a variable, principal or tail: " + t.getClass());
    }

    private static List<ExtPat> extPats(SubPrin sub, Map<String, Integer> slots) throws GuardException {
        List<ExtPat> out = new ArrayList<>(sub.size());
        for (PrinExt e : sub.exts()) {
            out.add(new ExtPat(e.name(), pats(e.args(), slots)));
        }
        return List.copyOf(out);
    }

    // ---- safety and plans ----

    /**
     * An evaluation order starting with literal {@code first} (or from the beginning if -1):
     * Subprin as soon as it can be evaluated (it filters or computes one value), else the next atom
     * in written order.
     */
    private static int[] plan(List<Literal> body, int first, int n, List<String> names) throws GuardException {
        int[] order = new int[body.size()];
        boolean[] used = new boolean[body.size()];
        BitSet bound = new BitSet(n);
        int k = 0;
        if (first >= 0) {
            order[k++] = first;
            used[first] = true;
            varsOf(body.get(first), bound);
        }
        while (k < body.size()) {
            int next = -1;
            for (int i = 0; i < body.size() && next < 0; i++) {
                if (!used[i] && body.get(i) instanceof SubprinLit s && evaluable(s, bound, n)) {
                    next = i;
                }
            }
            for (int i = 0; i < body.size() && next < 0; i++) {
                if (!used[i] && body.get(i) instanceof Atom) {
                    next = i;
                }
            }
            if (next < 0) {
                for (int i = 0; i < body.size(); i++) {
                    if (!used[i]) {
                        throw new GuardException("unsafe Subprin: no condition binds " + unbound(body.get(i), bound, n, names)
                                + "; Subprin needs either P, or both Parent and Ext, bound by other conditions");
                    }
                }
            }
            order[k++] = next;
            used[next] = true;
            varsOf(body.get(next), bound);
        }
        return order;
    }

    private static BitSet boundBy(List<Literal> body, int n) {
        BitSet bound = new BitSet(n);
        for (Literal l : body) {
            varsOf(l, bound);
        }
        return bound;
    }

    private static boolean evaluable(SubprinLit s, BitSet bound, int n) {
        return within(s.prin(), bound, n) || (within(s.parent(), bound, n) && within(s.ext(), bound, n));
    }

    private static boolean within(Pat p, BitSet bound, int n) {
        BitSet v = new BitSet(n);
        vars(p, v);
        v.andNot(bound);
        return v.isEmpty();
    }

    private static String unbound(Literal l, BitSet bound, int n, List<String> names) {
        BitSet v = new BitSet(n);
        varsOf(l, v);
        v.andNot(bound);
        StringBuilder s = new StringBuilder();
        for (int i = v.nextSetBit(0); i >= 0; i = v.nextSetBit(i + 1)) {
            s.append(s.length() == 0 ? "" : ", ").append(names.get(i));
        }
        return s.toString();
    }

    private static void varsOf(Literal l, BitSet out) {
        if (l instanceof Atom a) {
            vars(a, out);
        } else if (l instanceof SubprinLit s) {
            vars(s.prin(), out);
            vars(s.parent(), out);
            vars(s.ext(), out);
        } else {
            throw new AssertionError("unknown literal " + l.getClass());
        }
    }

    private static void vars(Atom a, BitSet out) {
        if (a.speaker() != null) {
            vars(a.speaker(), out);
        }
        for (Pat p : a.args()) {
            vars(p, out);
        }
    }

    static void vars(Pat p, BitSet out) {
        if (p instanceof Var v) {
            out.set(v.slot());
        } else if (p instanceof PrinPat pp) {
            vars(pp.key(), out);
            extVars(pp.exts(), out);
        } else if (p instanceof TailPat tp) {
            extVars(tp.exts(), out);
        } else if (!(p instanceof Ground)) {
            throw new AssertionError("unknown pattern " + p.getClass());
        }
    }

    private static void extVars(List<ExtPat> exts, BitSet out) {
        for (ExtPat e : exts) {
            for (Pat a : e.args()) {
                vars(a, out);
            }
        }
    }

    // ---- ground terms ----

    static boolean isGround(Form f) {
        if (f instanceof Pred p) {
            return allGround(p.args());
        }
        if (f instanceof Says s) {
            return isGround(s.speaker()) && isGround(s.message());
        }
        return false;
    }

    static boolean isGround(Term t) {
        if (t instanceof TermVar) {
            return false;
        } else if (t instanceof Prin p) {
            return isGround(p.key()) && isGround(p.ext());
        } else if (t instanceof PrinTail p) {
            return isGround(p.ext());
        } else if (t instanceof Str || t instanceof Bytes || t instanceof Int) {
            return true;
        }
        throw new AssertionError("unknown term " + t.getClass());
    }

    private static boolean isGround(SubPrin s) {
        for (PrinExt e : s.exts()) {
            if (!allGround(e.args())) {
                return false;
            }
        }
        return true;
    }

    private static boolean allGround(List<Term> terms) {
        for (Term t : terms) {
            if (!isGround(t)) {
                return false;
            }
        }
        return true;
    }

    /** A short name for the shape of an unsupported form, for error messages. */
    static String shape(Form f) {
        if (f instanceof Or) {
            return "'or'";
        } else if (f instanceof Not) {
            return "'not' (negation)";
        } else if (f instanceof Implies) {
            return "'implies'";
        } else if (f instanceof Forall) {
            return "'forall' (quantifiers belong in front of the whole rule)";
        } else if (f instanceof Exists) {
            return "'exists'";
        } else if (f instanceof Speaksfor) {
            return "'speaksfor'";
        } else if (f instanceof Const) {
            return "a constant";
        } else if (f instanceof Says) {
            return "'says' of something other than a predicate";
        } else if (f instanceof And) {
            return "a conjunction";
        } else if (f instanceof Pred) {
            return "a predicate";
        }
        throw new AssertionError("unknown form " + f.getClass());
    }

    static final int MAX_DEPTH = AuthLimits.MAX_DEPTH;
}
