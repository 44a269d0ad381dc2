package dev.cloudproxy.tao.domain;

import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.PrinTail;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.auth.Term;
import dev.cloudproxy.tao.guard.Guard;
import dev.cloudproxy.tao.guard.GuardException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * For a refused launched JVM program (named {@code ...Jvm(ext.Runtime(..), ext.Agent(..),
 * ext.App(..), ext.Config(..))}, docs/measurement.md), which of the sample template's facts the
 * guard lacks, each with the {@code tao domain policy} option that adds it: so that a refusal
 * tells the operator the one command to run, instead of a hash to reverse-engineer.
 *
 * <p>Only reads the guard (queries of ground facts); says nothing for other names. The hints name
 * facts and parts of the program's own name, never anything secret; they do tell the refused
 * program which parts of it the policy does not trust.
 */
public final class LaunchedAppHints {
    private LaunchedAppHints() {}

    /**
     * The missing facts for {@code program} (its last {@code Jvm(..)} extension, looking past
     * extensions the program appended itself, such as {@code PolicyKey([..])}), as
     * {@code "FACT (tao domain policy DIR OPTION)"}; empty if the name is not of that form or
     * every part is trusted.
     */
    public static List<String> missing(Guard guard, Prin program) {
        List<PrinExt> exts = program.ext().exts();
        for (int i = exts.size() - 1; i >= 0; i--) {
            Optional<List<PrinTail>> parts = parts(exts.get(i));
            if (parts.isPresent()) {
                return missing(guard, program, i, parts.get());
            }
        }
        return List.of();
    }

    private static List<String> missing(Guard guard, Prin program, int index, List<PrinTail> p) {
        List<String> out = new ArrayList<>();
        try {
            check(guard, PolicyFacts.trustedRuntime(p.get(0)), "--trust-runtime JAVA_HOME", out);
            check(guard, PolicyFacts.trustedAgent(p.get(1)), "--trust-agent tao-launcher.jar", out);
            check(guard, PolicyFacts.trustedApp(p.get(2), p.get(3)),
                    "--trust-app -- [the launcher options] app.jar", out);
            Prin host = new Prin(program.type(), program.key(), new SubPrin(program.ext().exts().subList(0, index)));
            check(guard, Pred.of("JvmHost", host), "--add-host " + host + ", or --trust-launcher tao-launcher.jar"
                    + " for a launcher on a Tao host", out);
        } catch (GuardException | IllegalArgumentException e) {
            return List.of();
        }
        return out;
    }

    private static void check(Guard guard, Form fact, String option, List<String> out) throws GuardException {
        if (!guard.query(fact)) {
            out.add(fact + " (tao domain policy DIR " + option + ")");
        }
    }

    private static Optional<List<PrinTail>> parts(PrinExt e) {
        if (!e.name().equals("Jvm") || e.args().size() != 4) {
            return Optional.empty();
        }
        List<PrinTail> parts = new ArrayList<>();
        for (Term t : e.args()) {
            if (!(t instanceof PrinTail tail)) {
                return Optional.empty();
            }
            parts.add(tail);
        }
        return Optional.of(parts);
    }
}
