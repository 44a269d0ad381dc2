package dev.cloudproxy.tao.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.SplittableRandom;

/** Builds random elements of every kind, with a fixed seed so failures reproduce. */
final class RandomElements {
    private static final String[] NAMES = {"P", "Q", "TrustedHost", "Subprin", "X", "Y_1", "Program", "PCRs"};
    private static final String[] TYPES = {"key", "tpm", "tpm2", "jvm"};
    private static final String[] STRINGS = {"", "a", "\"", "\\", "\n\t", "\u0000", "\u00e9\u65e5", "\uD83D\uDE00", "\u2028", "says", "a b, c"};
    private static final long[] INTS = {0, 1, -1, 127, 128, -128, Long.MAX_VALUE, Long.MIN_VALUE, 1_700_000_000L};

    private final SplittableRandom rnd;

    RandomElements(long seed) {
        this.rnd = new SplittableRandom(seed);
    }

    Form form(int depth) {
        int kind = depth <= 1 ? rnd.nextInt(2) : rnd.nextInt(10);
        return switch (kind) {
            case 0 -> new Pred(pick(NAMES), terms(depth - 1));
            case 1 -> rnd.nextBoolean() ? Const.TRUE : Const.FALSE;
            case 2 -> new Not(form(depth - 1));
            case 3 -> new And(forms(depth - 1));
            case 4 -> new Or(forms(depth - 1));
            case 5 -> new Implies(form(depth - 1), form(depth - 1));
            case 6 -> new Speaksfor(term(depth - 1), term(depth - 1));
            case 7 -> new Says(term(depth - 1), time(), time(), form(depth - 1));
            case 8 -> new Forall(pick(NAMES), form(depth - 1));
            default -> new Exists(pick(NAMES), form(depth - 1));
        };
    }

    Term term(int depth) {
        int kind = depth <= 1 ? 2 + rnd.nextInt(4) : rnd.nextInt(6);
        return switch (kind) {
            case 0 -> new Prin(pick(TYPES), term(depth - 1), subPrin(depth - 1, 0));
            case 1 -> new PrinTail(subPrin(depth - 1, 1));
            case 2 -> new Str(pick(STRINGS));
            case 3 -> {
                byte[] b = new byte[rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(1, 40)];
                for (int i = 0; i < b.length; i++) {
                    b[i] = (byte) rnd.nextInt(256);
                }
                yield new Bytes(b);
            }
            case 4 -> new Int(rnd.nextBoolean() ? INTS[rnd.nextInt(INTS.length)] : rnd.nextLong());
            default -> new TermVar(pick(NAMES));
        };
    }

    private SubPrin subPrin(int depth, int min) {
        int n = min + rnd.nextInt(4);
        List<PrinExt> exts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            exts.add(new PrinExt(pick(NAMES), depth <= 0 ? List.of() : terms(depth)));
        }
        return new SubPrin(exts);
    }

    private List<Term> terms(int depth) {
        int n = rnd.nextInt(4);
        List<Term> out = new ArrayList<>();
        for (int i = 0; i < n && depth >= 1; i++) {
            out.add(term(depth));
        }
        return out;
    }

    private List<Form> forms(int depth) {
        int n = rnd.nextInt(5);
        List<Form> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(form(depth));
        }
        return out;
    }

    private OptionalLong time() {
        return rnd.nextBoolean() ? OptionalLong.empty() : OptionalLong.of(INTS[rnd.nextInt(INTS.length)]);
    }

    private String pick(String[] from) {
        return from[rnd.nextInt(from.length)];
    }
}
