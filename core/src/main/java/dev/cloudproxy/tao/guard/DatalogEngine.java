package dev.cloudproxy.tao.guard;

import dev.cloudproxy.tao.auth.Const;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.PrinTail;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.auth.Term;
import dev.cloudproxy.tao.guard.Datalog.Atom;
import dev.cloudproxy.tao.guard.Datalog.ExtPat;
import dev.cloudproxy.tao.guard.Datalog.Ground;
import dev.cloudproxy.tao.guard.Datalog.Literal;
import dev.cloudproxy.tao.guard.Datalog.Pat;
import dev.cloudproxy.tao.guard.Datalog.PrinPat;
import dev.cloudproxy.tao.guard.Datalog.Query;
import dev.cloudproxy.tao.guard.Datalog.RelKey;
import dev.cloudproxy.tao.guard.Datalog.Rule;
import dev.cloudproxy.tao.guard.Datalog.SubprinLit;
import dev.cloudproxy.tao.guard.Datalog.TailPat;
import dev.cloudproxy.tao.guard.Datalog.Var;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Bottom-up, semi-naive Datalog evaluation, materialised on every change so that a query of a
 * ground fact is one hash lookup.
 *
 * <p>Adding a fact or rule extends the materialisation incrementally (only derivations that use
 * something new are tried); removing one recomputes it from the remaining rules. Every change runs
 * under the bounds of {@link Limits}: at most so many derived facts, so many match steps, and so
 * large a derived fact. A change that would pass one is undone and refused, so the engine is
 * always the materialisation of exactly its accepted rules. Evaluation recurses only over the
 * conditions of one rule (at most {@link Datalog#MAX_BODY}) and over terms of bounded depth, so it
 * cannot overflow the stack.
 */
final class DatalogEngine implements RuleStore {

    /** Bounds on one change or query. */
    record Limits(int maxFacts, long maxSteps, int maxFactNodes) {
        static final Limits DEFAULT = new Limits(200_000, 20_000_000L, 4096);
    }

    private final Limits limits;
    private final List<Form> rules = new ArrayList<>();
    private final Set<Form> ruleSet = new HashSet<>();
    private final Set<Form> baseFacts = new LinkedHashSet<>();
    private final List<Rule> compiled = new ArrayList<>();
    private Database db = new Database();
    private long steps;

    DatalogEngine(Limits limits) {
        this.limits = limits;
    }

    @Override
    public boolean add(Form rule) throws GuardException {
        if (ruleSet.contains(rule)) {
            return false;
        }
        checkSize(rule);
        Form fact = Datalog.asFact(rule);
        Rule compiledRule = fact == null ? Datalog.compileRule(rule) : null;
        if (rules.size() >= SignedRuleFile.MAX_RULES) {
            throw new GuardException("a guard holds at most " + SignedRuleFile.MAX_RULES + " rules");
        }
        int mark = db.journalSize();
        steps = 0;
        try {
            List<Form> delta = new ArrayList<>();
            if (fact != null) {
                if (db.add(fact)) {
                    delta.add(fact);
                }
            } else {
                compiled.add(compiledRule);
                Set<Form> found = new LinkedHashSet<>();
                join(compiledRule, compiledRule.fullPlan(), 0, -1, List.of(), new Term[compiledRule.slots()], found);
                for (Form f : found) {
                    if (db.add(f)) {
                        delta.add(f);
                    }
                }
                checkFactCount();
            }
            saturate(delta);
        } catch (LimitExceeded e) {
            db.rollback(mark);
            if (compiledRule != null) {
                compiled.remove(compiled.size() - 1);
            }
            throw new GuardException("rule refused: " + e.getMessage() + ": " + brief(rule));
        }
        db.commit();
        rules.add(rule);
        ruleSet.add(rule);
        if (fact != null) {
            baseFacts.add(fact);
        }
        return true;
    }

    @Override
    public void replaceAll(List<Form> newRules) throws GuardException {
        if (newRules.size() > SignedRuleFile.MAX_RULES) {
            throw new GuardException("a guard holds at most " + SignedRuleFile.MAX_RULES + " rules");
        }
        List<Form> kept = new ArrayList<>();
        Set<Form> keptSet = new HashSet<>();
        Set<Form> facts = new LinkedHashSet<>();
        List<Rule> programs = new ArrayList<>();
        for (int i = 0; i < newRules.size(); i++) {
            Form rule = newRules.get(i);
            if (!keptSet.add(rule)) {
                continue;
            }
            kept.add(rule);
            try {
                checkSize(rule);
                Form fact = Datalog.asFact(rule);
                if (fact != null) {
                    facts.add(fact);
                } else {
                    programs.add(Datalog.compileRule(rule));
                }
            } catch (GuardException e) {
                throw new GuardException("rule " + i + ": " + e.getMessage(), e);
            }
        }
        Database fresh = recompute(facts, programs);
        rules.clear();
        rules.addAll(kept);
        ruleSet.clear();
        ruleSet.addAll(keptSet);
        baseFacts.clear();
        baseFacts.addAll(facts);
        compiled.clear();
        compiled.addAll(programs);
        db = fresh;
    }

    @Override
    public boolean remove(Form rule) throws GuardException {
        if (!ruleSet.contains(rule)) {
            return false;
        }
        Form fact = Datalog.asFact(rule);
        Set<Form> facts = new LinkedHashSet<>(baseFacts);
        List<Rule> programs = new ArrayList<>(compiled);
        if (fact != null) {
            facts.remove(fact);
        } else {
            programs.removeIf(r -> r.source().equals(rule));
        }
        db = recompute(facts, programs);
        compiled.clear();
        compiled.addAll(programs);
        baseFacts.clear();
        baseFacts.addAll(facts);
        rules.remove(rule);
        ruleSet.remove(rule);
        return true;
    }

    @Override
    public void clear() {
        rules.clear();
        ruleSet.clear();
        baseFacts.clear();
        compiled.clear();
        db = new Database();
    }

    @Override
    public boolean holds(Pred fact) {
        return db.contains(fact);
    }

    @Override
    public boolean query(Form statement) throws GuardException {
        if (statement instanceof Const c) {
            return c.value();
        }
        checkSize(statement);
        Form fact = Datalog.asFact(statement);
        if (fact != null) {
            return db.contains(fact);
        }
        Query q = Datalog.compileQuery(statement);
        steps = 0;
        try {
            return solve(q.body(), q.plan(), 0, -1, List.of(), new Term[q.slots()], env -> true);
        } catch (LimitExceeded e) {
            throw new GuardException("query refused: " + e.getMessage());
        }
    }

    @Override
    public List<Form> rules() {
        return Collections.unmodifiableList(rules);
    }

    /** The number of facts known, given and derived (for tests and diagnostics). */
    int factCount() {
        return db.size();
    }

    // ---- evaluation ----

    private Database recompute(Set<Form> facts, List<Rule> programs) throws GuardException {
        Database saved = db;
        List<Rule> savedRules = new ArrayList<>(compiled);
        Database fresh = new Database();
        db = fresh;
        compiled.clear();
        compiled.addAll(programs);
        steps = 0;
        try {
            List<Form> delta = new ArrayList<>();
            for (Form f : facts) {
                if (db.add(f)) {
                    delta.add(f);
                }
            }
            checkFactCount();
            // Rules whose conditions are all built in derive without any fact.
            Set<Form> found = new LinkedHashSet<>();
            for (Rule r : programs) {
                if (!hasAtom(r)) {
                    join(r, r.fullPlan(), 0, -1, List.of(), new Term[r.slots()], found);
                }
            }
            for (Form f : found) {
                if (db.add(f)) {
                    delta.add(f);
                }
            }
            saturate(delta);
            fresh.commit();
            return fresh;
        } catch (LimitExceeded e) {
            throw new GuardException("rules refused: " + e.getMessage());
        } finally {
            db = saved;
            compiled.clear();
            compiled.addAll(savedRules);
        }
    }

    /** Semi-naive iteration: each round tries only derivations that use a fact new in the last. */
    private void saturate(List<Form> delta) {
        while (!delta.isEmpty()) {
            Map<RelKey, List<Form>> byRelation = new HashMap<>();
            for (Form f : delta) {
                byRelation.computeIfAbsent(RelKey.of(f), k -> new ArrayList<>()).add(f);
            }
            Set<Form> found = new LinkedHashSet<>();
            for (Rule r : compiled) {
                for (int i = 0; i < r.body().size(); i++) {
                    if (r.body().get(i) instanceof Atom a) {
                        List<Form> news = byRelation.get(a.key());
                        if (news != null) {
                            join(r, r.plans()[i], 0, i, news, new Term[r.slots()], found);
                        }
                    }
                }
            }
            List<Form> next = new ArrayList<>();
            for (Form f : found) {
                if (db.add(f)) {
                    next.add(f);
                }
            }
            checkFactCount();
            delta = next;
        }
    }

    private void join(Rule r, int[] plan, int pos, int deltaLiteral, List<Form> news, Term[] env, Set<Form> found) {
        solve(r.body(), plan, pos, deltaLiteral, news, env, e -> {
            Form f = instantiate(r.head(), e);
            if (Sizes.exceeds(f, Datalog.MAX_DEPTH, limits.maxFactNodes())) {
                throw new LimitExceeded("a derived fact would be larger than " + limits.maxFactNodes()
                        + " nodes or deeper than " + Datalog.MAX_DEPTH);
            }
            if (!db.contains(f) && found.add(f) && db.size() + found.size() > limits.maxFacts()) {
                throw new LimitExceeded("more than " + limits.maxFacts() + " facts would be derived");
            }
            return false;
        });
    }

    private interface Sink {
        /** Called with each solution; true stops the search. */
        boolean accept(Term[] env);
    }

    /** Depth-first search over the conditions in plan order; true if the sink asked to stop. */
    private boolean solve(List<Literal> body, int[] plan, int pos, int deltaLiteral, List<Form> news,
            Term[] env, Sink sink) {
        if (pos == plan.length) {
            return sink.accept(env);
        }
        int index = plan[pos];
        Literal literal = body.get(index);
        if (literal instanceof Atom a) {
            List<Form> candidates = index == deltaLiteral ? news : candidates(a, env);
            Term[] saved = env.clone();
            for (int k = 0; k < candidates.size(); k++) {
                step();
                if (matchAtom(a, candidates.get(k), env)
                        && solve(body, plan, pos + 1, deltaLiteral, news, env, sink)) {
                    return true;
                }
                System.arraycopy(saved, 0, env, 0, env.length);
            }
            return false;
        } else if (literal instanceof SubprinLit s) {
            return subprin(s, body, plan, pos, deltaLiteral, news, env, sink);
        }
        throw new AssertionError("unknown literal " + literal.getClass());
    }

    /** The facts an atom may match: those with its first bound argument, if it has one. */
    private List<Form> candidates(Atom a, Term[] env) {
        List<Pat> args = a.args();
        for (int i = 0; i < args.size(); i++) {
            Pat p = args.get(i);
            Term value = p instanceof Ground g ? g.term() : p instanceof Var v ? env[v.slot()] : null;
            if (value != null) {
                return db.lookup(a.key(), i, value);
            }
        }
        return db.get(a.key());
    }

    /**
     * {@code Subprin(P, Parent, Ext)}. With P bound it splits P at every point that leaves a
     * non-empty tail (P = root.A.B gives Parent = root, Ext = ext.A.B and Parent = root.A,
     * Ext = ext.B), matching each against Parent and Ext; otherwise Parent and Ext are bound (the
     * plan guarantees it) and it composes P. Either way it only takes apart or joins terms it is
     * given, so the infinite relation is never enumerated.
     */
    private boolean subprin(SubprinLit s, List<Literal> body, int[] plan, int pos, int deltaLiteral,
            List<Form> news, Term[] env, Sink sink) {
        Term p = groundOrNull(s.prin(), env);
        Term[] saved = env.clone();
        if (p != null) {
            if (!(p instanceof Prin prin)) {
                return false;
            }
            List<PrinExt> exts = prin.ext().exts();
            for (int k = 0; k < exts.size(); k++) {
                step();
                Prin parent = new Prin(prin.type(), prin.key(), new SubPrin(exts.subList(0, k)));
                PrinTail tail = new PrinTail(new SubPrin(exts.subList(k, exts.size())));
                if (match(s.parent(), parent, env) && match(s.ext(), tail, env)
                        && solve(body, plan, pos + 1, deltaLiteral, news, env, sink)) {
                    return true;
                }
                System.arraycopy(saved, 0, env, 0, env.length);
            }
            return false;
        }
        Term parent = groundOrNull(s.parent(), env);
        Term ext = groundOrNull(s.ext(), env);
        if (parent == null || ext == null) {
            throw new AssertionError("plan evaluates Subprin before its arguments are bound");
        }
        step();
        if (!(parent instanceof Prin parentPrin) || !(ext instanceof PrinTail tail)) {
            return false;
        }
        Prin composed = parentPrin.extend(tail.ext());
        if (Sizes.exceeds(composed, Datalog.MAX_DEPTH, limits.maxFactNodes())) {
            throw new LimitExceeded("Subprin would build a principal larger than " + limits.maxFactNodes()
                    + " nodes or deeper than " + Datalog.MAX_DEPTH);
        }
        if (match(s.prin(), composed, env) && solve(body, plan, pos + 1, deltaLiteral, news, env, sink)) {
            return true;
        }
        System.arraycopy(saved, 0, env, 0, env.length);
        return false;
    }

    private void step() {
        if (++steps > limits.maxSteps()) {
            throw new LimitExceeded("evaluation took more than " + limits.maxSteps() + " steps");
        }
    }

    private void checkFactCount() {
        if (db.size() > limits.maxFacts()) {
            throw new LimitExceeded("more than " + limits.maxFacts() + " facts would be derived");
        }
    }

    private static void checkSize(Form f) throws GuardException {
        if (Sizes.exceeds(f, Datalog.MAX_DEPTH, Integer.MAX_VALUE)) {
            throw new GuardException("nested deeper than " + Datalog.MAX_DEPTH + " levels");
        }
    }

    /** The rule's text, cut short for an error message. */
    private static String brief(Form rule) {
        String text = rule.toString();
        return text.length() <= 120 ? text : text.substring(0, 117) + "...";
    }

    private static boolean hasAtom(Rule r) {
        for (Literal l : r.body()) {
            if (l instanceof Atom) {
                return true;
            }
        }
        return false;
    }

    // ---- matching ----

    private static boolean matchAtom(Atom a, Form fact, Term[] env) {
        Pred pred;
        if (a.speaker() != null) {
            Says says = (Says) fact;
            if (!match(a.speaker(), says.speaker(), env)) {
                return false;
            }
            pred = (Pred) says.message();
        } else {
            pred = (Pred) fact;
        }
        return matchAll(a.args(), pred.args(), env);
    }

    private static boolean matchAll(List<Pat> pats, List<Term> terms, Term[] env) {
        if (pats.size() != terms.size()) {
            return false;
        }
        for (int i = 0; i < pats.size(); i++) {
            if (!match(pats.get(i), terms.get(i), env)) {
                return false;
            }
        }
        return true;
    }

    /** Matches a pattern against a ground term, binding free variables; may bind some and fail. */
    private static boolean match(Pat p, Term t, Term[] env) {
        if (p instanceof Ground g) {
            return g.term().equals(t);
        } else if (p instanceof Var v) {
            Term bound = env[v.slot()];
            if (bound == null) {
                env[v.slot()] = t;
                return true;
            }
            return bound.equals(t);
        } else if (p instanceof PrinPat pp) {
            return t instanceof Prin prin && prin.type().equals(pp.type())
                    && match(pp.key(), prin.key(), env) && matchExts(pp.exts(), prin.ext(), env);
        } else if (p instanceof TailPat tp) {
            return t instanceof PrinTail tail && matchExts(tp.exts(), tail.ext(), env);
        }
        throw new AssertionError("unknown pattern " + p.getClass());
    }

    private static boolean matchExts(List<ExtPat> pats, SubPrin sub, Term[] env) {
        List<PrinExt> exts = sub.exts();
        if (pats.size() != exts.size()) {
            return false;
        }
        for (int i = 0; i < pats.size(); i++) {
            ExtPat ep = pats.get(i);
            PrinExt e = exts.get(i);
            if (!ep.name().equals(e.name()) || !matchAll(ep.args(), e.args(), env)) {
                return false;
            }
        }
        return true;
    }

    /** The pattern with its variables replaced, or null if one is unbound. */
    private static Term groundOrNull(Pat p, Term[] env) {
        if (p instanceof Ground g) {
            return g.term();
        } else if (p instanceof Var v) {
            return env[v.slot()];
        } else if (p instanceof PrinPat pp) {
            Term key = groundOrNull(pp.key(), env);
            SubPrin exts = groundExts(pp.exts(), env);
            return key == null || exts == null ? null : new Prin(pp.type(), key, exts);
        } else if (p instanceof TailPat tp) {
            SubPrin exts = groundExts(tp.exts(), env);
            return exts == null ? null : new PrinTail(exts);
        }
        throw new AssertionError("unknown pattern " + p.getClass());
    }

    private static SubPrin groundExts(List<ExtPat> pats, Term[] env) {
        List<PrinExt> exts = new ArrayList<>(pats.size());
        for (ExtPat ep : pats) {
            List<Term> args = groundAll(ep.args(), env);
            if (args == null) {
                return null;
            }
            exts.add(new PrinExt(ep.name(), args));
        }
        return new SubPrin(exts);
    }

    private static List<Term> groundAll(List<Pat> pats, Term[] env) {
        List<Term> out = new ArrayList<>(pats.size());
        for (Pat p : pats) {
            Term t = groundOrNull(p, env);
            if (t == null) {
                return null;
            }
            out.add(t);
        }
        return out;
    }

    private static Form instantiate(Atom a, Term[] env) {
        List<Term> args = groundAll(a.args(), env);
        if (args == null) {
            throw new AssertionError("a safe rule binds every variable of its conclusion");
        }
        Pred pred = new Pred(a.name(), args);
        if (a.speaker() == null) {
            return pred;
        }
        Term speaker = groundOrNull(a.speaker(), env);
        if (speaker == null) {
            throw new AssertionError("a safe rule binds every variable of its conclusion");
        }
        return Says.of(speaker, pred);
    }

    /** A bound was passed; the change is undone. */
    private static final class LimitExceeded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LimitExceeded(String message) {
            super(message, null, false, false);
        }
    }

    // ---- facts ----

    /**
     * Facts by relation, append-only between commits so that a failed change can be undone, with
     * indexes by argument value built the first time a join asks for one and kept up to date.
     */
    private static final class Database {
        private final Map<RelKey, List<Form>> relations = new HashMap<>();
        private final Map<RelKey, Map<Integer, Map<Term, List<Form>>>> indexes = new HashMap<>();
        private final Set<Form> all = new HashSet<>();
        private final List<Form> journal = new ArrayList<>();

        boolean add(Form f) {
            if (!all.add(f)) {
                return false;
            }
            RelKey key = RelKey.of(f);
            relations.computeIfAbsent(key, k -> new ArrayList<>()).add(f);
            Map<Integer, Map<Term, List<Form>>> byPosition = indexes.get(key);
            if (byPosition != null) {
                for (Map.Entry<Integer, Map<Term, List<Form>>> e : byPosition.entrySet()) {
                    e.getValue().computeIfAbsent(arg(f, e.getKey()), k -> new ArrayList<>()).add(f);
                }
            }
            journal.add(f);
            return true;
        }

        /** The facts of {@code key} whose argument {@code position} is {@code value}. */
        List<Form> lookup(RelKey key, int position, Term value) {
            Map<Integer, Map<Term, List<Form>>> byPosition = indexes.computeIfAbsent(key, k -> new HashMap<>());
            Map<Term, List<Form>> index = byPosition.get(position);
            if (index == null) {
                index = new HashMap<>();
                for (Form f : get(key)) {
                    index.computeIfAbsent(arg(f, position), k -> new ArrayList<>()).add(f);
                }
                byPosition.put(position, index);
            }
            return index.getOrDefault(value, List.of());
        }

        private static Term arg(Form f, int position) {
            Pred p = f instanceof Says s ? (Pred) s.message() : (Pred) f;
            return p.args().get(position);
        }

        boolean contains(Form f) {
            return all.contains(f);
        }

        List<Form> get(RelKey key) {
            return relations.getOrDefault(key, List.of());
        }

        int size() {
            return all.size();
        }

        int journalSize() {
            return journal.size();
        }

        /** Removes every fact added since the journal had {@code mark} entries, newest first. */
        void rollback(int mark) {
            for (int i = journal.size() - 1; i >= mark; i--) {
                Form f = journal.remove(i);
                all.remove(f);
                RelKey key = RelKey.of(f);
                List<Form> list = relations.get(key);
                list.remove(list.size() - 1);
                Map<Integer, Map<Term, List<Form>>> byPosition = indexes.get(key);
                if (byPosition != null) {
                    for (Map.Entry<Integer, Map<Term, List<Form>>> e : byPosition.entrySet()) {
                        List<Form> same = e.getValue().get(arg(f, e.getKey()));
                        same.remove(same.size() - 1);
                        if (same.isEmpty()) {
                            e.getValue().remove(arg(f, e.getKey()));
                        }
                    }
                }
            }
        }

        void commit() {
            journal.clear();
        }
    }
}
