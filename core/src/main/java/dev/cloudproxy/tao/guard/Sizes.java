package dev.cloudproxy.tao.guard;

import dev.cloudproxy.tao.auth.And;
import dev.cloudproxy.tao.auth.AuthElement;
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
import java.util.List;

/**
 * Bounded measurement of elements. Forms built in code, unlike parsed ones, have no depth limit;
 * the walk stops as soon as a bound is passed, so it never recurses deeper than the bound itself.
 */
final class Sizes {
    private final int maxDepth;
    private final int maxNodes;
    private int nodes;

    private Sizes(int maxDepth, int maxNodes) {
        this.maxDepth = maxDepth;
        this.maxNodes = maxNodes;
    }

    /** Whether {@code e} nests deeper than {@code maxDepth} or has more than {@code maxNodes} nodes. */
    static boolean exceeds(AuthElement e, int maxDepth, int maxNodes) {
        return new Sizes(maxDepth, maxNodes).element(e, 1);
    }

    private boolean over(int depth) {
        return depth > maxDepth || ++nodes > maxNodes;
    }

    private boolean element(AuthElement e, int depth) {
        if (e instanceof Term t) {
            return term(t, depth);
        }
        return form((Form) e, depth);
    }

    private boolean form(Form f, int depth) {
        if (over(depth)) {
            return true;
        }
        if (f instanceof Pred p) {
            return terms(p.args(), depth + 1);
        } else if (f instanceof Const) {
            return false;
        } else if (f instanceof Not n) {
            return form(n.negand(), depth + 1);
        } else if (f instanceof And a) {
            return forms(a.conjuncts(), depth + 1);
        } else if (f instanceof Or o) {
            return forms(o.disjuncts(), depth + 1);
        } else if (f instanceof Implies i) {
            return form(i.antecedent(), depth + 1) || form(i.consequent(), depth + 1);
        } else if (f instanceof Speaksfor s) {
            return term(s.delegate(), depth + 1) || term(s.delegator(), depth + 1);
        } else if (f instanceof Says s) {
            return term(s.speaker(), depth + 1) || form(s.message(), depth + 1);
        } else if (f instanceof Forall q) {
            return form(q.body(), depth + 1);
        } else if (f instanceof Exists q) {
            return form(q.body(), depth + 1);
        }
        throw new AssertionError("unknown form " + f.getClass());
    }

    private boolean forms(List<Form> forms, int depth) {
        for (Form f : forms) {
            if (form(f, depth)) {
                return true;
            }
        }
        return false;
    }

    private boolean term(Term t, int depth) {
        if (over(depth)) {
            return true;
        }
        if (t instanceof Prin p) {
            return term(p.key(), depth + 1) || sub(p.ext(), depth + 1);
        } else if (t instanceof PrinTail p) {
            return sub(p.ext(), depth + 1);
        } else if (t instanceof Str || t instanceof Bytes || t instanceof Int || t instanceof TermVar) {
            return false;
        }
        throw new AssertionError("unknown term " + t.getClass());
    }

    private boolean sub(SubPrin s, int depth) {
        for (PrinExt e : s.exts()) {
            if (++nodes > maxNodes || terms(e.args(), depth)) {
                return true;
            }
        }
        return false;
    }

    private boolean terms(List<Term> terms, int depth) {
        for (Term t : terms) {
            if (term(t, depth)) {
                return true;
            }
        }
        return false;
    }
}
