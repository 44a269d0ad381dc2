package dev.cloudproxy.tao.auth;

/**
 * The depth of an element, computed independently of the parser so tests can check the parser's
 * own count: how deep an element nests: a leaf term or constant is 1, every operator, principal and
 * predicate adds 1 above its deepest part. Parenthesis and extension chains add nothing.
 */
final class Depth {
    private Depth() {}

    static int of(AuthElement e) {
        if (e instanceof Term t) {
            return of(t);
        }
        return of((Form) e);
    }

    static int of(Term t) {
        if (t instanceof Prin p) {
            return 1 + Math.max(of(p.key()), of(p.ext()));
        } else if (t instanceof PrinTail pt) {
            return 1 + of(pt.ext());
        } else if (t instanceof Str || t instanceof Bytes || t instanceof Int || t instanceof TermVar) {
            return 1;
        }
        throw new AssertionError("unhandled term " + t.getClass());
    }

    private static int of(SubPrin s) {
        int max = 0;
        for (PrinExt e : s.exts()) {
            for (Term a : e.args()) {
                max = Math.max(max, of(a));
            }
        }
        return max;
    }

    static int of(Form f) {
        if (f instanceof Pred p) {
            int max = 0;
            for (Term a : p.args()) {
                max = Math.max(max, of(a));
            }
            return 1 + max;
        } else if (f instanceof Const) {
            return 1;
        } else if (f instanceof Not n) {
            return 1 + of(n.negand());
        } else if (f instanceof And a) {
            return 1 + maxOf(a.conjuncts());
        } else if (f instanceof Or o) {
            return 1 + maxOf(o.disjuncts());
        } else if (f instanceof Implies i) {
            return 1 + Math.max(of(i.antecedent()), of(i.consequent()));
        } else if (f instanceof Speaksfor s) {
            return 1 + Math.max(of(s.delegate()), of(s.delegator()));
        } else if (f instanceof Says s) {
            return 1 + Math.max(of(s.speaker()), of(s.message()));
        } else if (f instanceof Forall q) {
            return 1 + of(q.body());
        } else if (f instanceof Exists q) {
            return 1 + of(q.body());
        }
        throw new AssertionError("unhandled form " + f.getClass());
    }

    private static int maxOf(java.util.List<Form> forms) {
        int max = 0;
        for (Form f : forms) {
            max = Math.max(max, of(f));
        }
        return max;
    }
}
