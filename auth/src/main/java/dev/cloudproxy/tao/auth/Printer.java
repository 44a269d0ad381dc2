package dev.cloudproxy.tao.auth;

import java.util.List;

/**
 * The canonical text form. Operators and parentheses are placed as CloudProxy places them, with
 * one correction: CloudProxy decides whether a {@code says}, {@code forall} or {@code exists}
 * (which extend as far right as they can) needs parentheses by looking only at its immediate
 * parent, so {@code (P and A says Q) or R} printed as {@code P and A says Q or R}, which reads
 * back as something else. Here "rightmost" means rightmost in the whole enclosing text, so every
 * printed form parses back to itself; where CloudProxy's output was already unambiguous, the two
 * print the same.
 */
final class Printer {
    private static final int LOW = 0; // implies, and says/speaksfor/forall/exists not at the right end
    private static final int OR = 1;
    private static final int AND = 2;
    private static final int HIGH = 3; // not, true, false, predicates, rightmost says/forall/exists

    private final StringBuilder out = new StringBuilder();

    static String print(AuthElement e) {
        Printer p = new Printer();
        if (e instanceof Term t) {
            p.term(t);
        } else {
            p.form((Form) e, true);
        }
        return p.out.toString();
    }

    static String print(PrinExt e) {
        Printer p = new Printer();
        p.nameAndArgs(e.name(), e.args());
        return p.out.toString();
    }

    static String print(SubPrin s) {
        Printer p = new Printer();
        p.subPrin(s);
        return p.out.toString();
    }

    private static int precedence(Form f, boolean right) {
        if (f instanceof Says || f instanceof Speaksfor || f instanceof Forall || f instanceof Exists) {
            return right ? HIGH : LOW;
        } else if (f instanceof Implies) {
            return LOW;
        } else if (f instanceof Or o) {
            return junctionPrecedence(o.disjuncts(), OR, right);
        } else if (f instanceof And a) {
            return junctionPrecedence(a.conjuncts(), AND, right);
        }
        return HIGH;
    }

    private static int junctionPrecedence(List<Form> parts, int level, boolean right) {
        if (parts.isEmpty()) {
            return HIGH; // prints as true or false
        } else if (parts.size() == 1) {
            return precedence(parts.get(0), right); // prints as its only part
        }
        return level;
    }

    /** Prints {@code f}, in parentheses if its precedence is below {@code level}. */
    private void child(int level, boolean right, Form f) {
        if (level > precedence(f, right)) {
            out.append('(');
            form(f, true);
            out.append(')');
        } else {
            form(f, right);
        }
    }

    /** {@code right}: nothing follows {@code f} in the text up to the end or a closing parenthesis. */
    private void form(Form f, boolean right) {
        if (f instanceof Pred p) {
            nameAndArgs(p.name(), p.args());
        } else if (f instanceof Const c) {
            out.append(c.value() ? "true" : "false");
        } else if (f instanceof Not n) {
            out.append("not ");
            child(HIGH, right, n.negand());
        } else if (f instanceof And a) {
            junction(a.conjuncts(), "true", " and ", AND, right);
        } else if (f instanceof Or o) {
            junction(o.disjuncts(), "false", " or ", OR, right);
        } else if (f instanceof Implies i) {
            child(LOW + 1, false, i.antecedent());
            out.append(" implies ");
            child(LOW, right, i.consequent());
        } else if (f instanceof Speaksfor s) {
            term(s.delegate());
            out.append(" speaksfor ");
            term(s.delegator());
        } else if (f instanceof Says s) {
            term(s.speaker());
            s.from().ifPresent(t -> out.append(" from ").append(t));
            s.until().ifPresent(t -> out.append(" until ").append(t));
            out.append(" says ");
            form(s.message(), right);
        } else if (f instanceof Forall q) {
            out.append("forall ").append(q.var()).append(": ");
            form(q.body(), right);
        } else if (f instanceof Exists q) {
            out.append("exists ").append(q.var()).append(": ");
            form(q.body(), right);
        } else {
            throw new AssertionError("unhandled form " + f.getClass());
        }
    }

    private void junction(List<Form> parts, String empty, String op, int level, boolean right) {
        int n = parts.size();
        if (n == 0) {
            out.append(empty);
        } else if (n == 1) {
            form(parts.get(0), right);
        } else {
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    out.append(op);
                }
                child(level, right && i == n - 1, parts.get(i));
            }
        }
    }

    private void term(Term t) {
        if (t instanceof Prin p) {
            out.append(p.type()).append('(');
            term(p.key());
            out.append(')');
            subPrin(p.ext());
        } else if (t instanceof PrinTail pt) {
            out.append("ext");
            subPrin(pt.ext());
        } else if (t instanceof Str s) {
            Quoting.quote(out, s.value());
        } else if (t instanceof Bytes b) {
            out.append('[').append(b.hex()).append(']');
        } else if (t instanceof Int i) {
            out.append(i.value());
        } else if (t instanceof TermVar v) {
            out.append(v.name());
        } else {
            throw new AssertionError("unhandled term " + t.getClass());
        }
    }

    private void subPrin(SubPrin s) {
        for (PrinExt e : s.exts()) {
            out.append('.');
            nameAndArgs(e.name(), e.args());
        }
    }

    private void nameAndArgs(String name, List<Term> args) {
        out.append(name).append('(');
        for (int i = 0; i < args.size(); i++) {
            if (i > 0) {
                out.append(", ");
            }
            term(args.get(i));
        }
        out.append(')');
    }
}
