package dev.cloudproxy.tao.auth;

import java.util.ArrayList;
import java.util.List;

/**
 * The structural normal form that printing then parsing preserves: junctions of zero or one part
 * become their constant or their part, and a junction inside one of its own kind is flattened.
 * Everything else (including where parentheses go) must survive the text form exactly.
 */
final class Normal {
    private Normal() {}

    static Form of(Form f) {
        if (f instanceof Not n) {
            return new Not(of(n.negand()));
        } else if (f instanceof And a) {
            List<Form> parts = new ArrayList<>();
            for (Form c : a.conjuncts()) {
                Form nc = of(c);
                if (nc instanceof And inner) {
                    parts.addAll(inner.conjuncts());
                } else {
                    parts.add(nc);
                }
            }
            return parts.isEmpty() ? Const.TRUE : parts.size() == 1 ? parts.get(0) : new And(parts);
        } else if (f instanceof Or o) {
            List<Form> parts = new ArrayList<>();
            for (Form c : o.disjuncts()) {
                Form nc = of(c);
                if (nc instanceof Or inner) {
                    parts.addAll(inner.disjuncts());
                } else {
                    parts.add(nc);
                }
            }
            return parts.isEmpty() ? Const.FALSE : parts.size() == 1 ? parts.get(0) : new Or(parts);
        } else if (f instanceof Implies i) {
            return new Implies(of(i.antecedent()), of(i.consequent()));
        } else if (f instanceof Says s) {
            return new Says(s.speaker(), s.from(), s.until(), of(s.message()));
        } else if (f instanceof Forall q) {
            return new Forall(q.var(), of(q.body()));
        } else if (f instanceof Exists q) {
            return new Exists(q.var(), of(q.body()));
        }
        return f;
    }
}
