package dev.cloudproxy.tao.auth;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;

/**
 * CloudProxy's binary form of the auth language: a tag, then the fields in fixed order. Numbers
 * are unsigned LEB128 varints of the two's-complement int64; strings and byte strings are a
 * varint length and the raw bytes; lists are a varint count and the elements; booleans are the
 * varints 0 and 1.
 *
 * <p>Decoding is strict, so each element has exactly one encoding: unknown tags, non-minimal
 * varints, booleans other than 0 and 1, invalid UTF-8, names the text form could not carry,
 * lengths past the end and trailing bytes are all errors, as is input beyond
 * {@link AuthLimits}.
 */
public final class AuthBinary {
    static final int PRIN = 1;
    static final int PRIN_TAIL = 2;
    static final int STR = 3;
    static final int BYTES = 4;
    static final int INT = 5;
    static final int TERM_VAR = 6;
    static final int PRED = 7;
    static final int CONST = 8;
    static final int NOT = 9;
    static final int AND = 10;
    static final int OR = 11;
    static final int IMPLIES = 12;
    static final int SPEAKSFOR = 13;
    static final int SAYS = 14;
    static final int FORALL = 15;
    static final int EXISTS = 16;
    static final int SUB_PRIN = 17;
    static final int PRIN_EXT = 18;

    private AuthBinary() {}

    // ---- encoding ----

    /** Encodes a form or term. */
    public static byte[] encode(AuthElement e) {
        Encoder enc = new Encoder();
        if (e instanceof Term t) {
            enc.term(t);
        } else {
            enc.form((Form) e);
        }
        return enc.toByteArray();
    }

    private static final class Encoder {
        private byte[] buf = new byte[64];
        private int len;

        byte[] toByteArray() {
            return Arrays.copyOf(buf, len);
        }

        private void ensure(int n) {
            if (len + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
            }
        }

        void varint(long v) {
            ensure(10);
            while ((v & ~0x7fL) != 0) {
                buf[len++] = (byte) ((v & 0x7f) | 0x80);
                v >>>= 7;
            }
            buf[len++] = (byte) v;
        }

        void bytes(byte[] b) {
            varint(b.length);
            ensure(b.length);
            System.arraycopy(b, 0, buf, len, b.length);
            len += b.length;
        }

        void string(String s) {
            bytes(s.getBytes(StandardCharsets.UTF_8));
        }

        void bool(boolean b) {
            varint(b ? 1 : 0);
        }

        void term(Term t) {
            if (t instanceof Prin p) {
                varint(PRIN);
                string(p.type());
                term(p.key());
                subPrin(p.ext());
            } else if (t instanceof PrinTail pt) {
                varint(PRIN_TAIL);
                subPrin(pt.ext());
            } else if (t instanceof Str s) {
                varint(STR);
                string(s.value());
            } else if (t instanceof Bytes b) {
                varint(BYTES);
                bytes(b.unsafeValue());
            } else if (t instanceof Int i) {
                varint(INT);
                varint(i.value());
            } else if (t instanceof TermVar v) {
                varint(TERM_VAR);
                string(v.name());
            } else {
                throw new AssertionError("unhandled term " + t.getClass());
            }
        }

        void subPrin(SubPrin s) {
            varint(SUB_PRIN);
            varint(s.size());
            for (PrinExt e : s.exts()) {
                varint(PRIN_EXT);
                nameAndArgs(e.name(), e.args());
            }
        }

        void nameAndArgs(String name, List<Term> args) {
            string(name);
            varint(args.size());
            for (Term a : args) {
                term(a);
            }
        }

        void forms(List<Form> forms) {
            varint(forms.size());
            for (Form f : forms) {
                form(f);
            }
        }

        void form(Form f) {
            if (f instanceof Pred p) {
                varint(PRED);
                nameAndArgs(p.name(), p.args());
            } else if (f instanceof Const c) {
                varint(CONST);
                bool(c.value());
            } else if (f instanceof Not n) {
                varint(NOT);
                form(n.negand());
            } else if (f instanceof And a) {
                varint(AND);
                forms(a.conjuncts());
            } else if (f instanceof Or o) {
                varint(OR);
                forms(o.disjuncts());
            } else if (f instanceof Implies i) {
                varint(IMPLIES);
                form(i.antecedent());
                form(i.consequent());
            } else if (f instanceof Speaksfor s) {
                varint(SPEAKSFOR);
                term(s.delegate());
                term(s.delegator());
            } else if (f instanceof Says s) {
                varint(SAYS);
                term(s.speaker());
                optionalTime(s.from());
                optionalTime(s.until());
                form(s.message());
            } else if (f instanceof Forall q) {
                varint(FORALL);
                string(q.var());
                form(q.body());
            } else if (f instanceof Exists q) {
                varint(EXISTS);
                string(q.var());
                form(q.body());
            } else {
                throw new AssertionError("unhandled form " + f.getClass());
            }
        }

        private void optionalTime(OptionalLong t) {
            bool(t.isPresent());
            if (t.isPresent()) {
                varint(t.getAsLong());
            }
        }
    }

    // ---- decoding ----

    /** Decodes exactly one form or term. */
    public static AuthElement decode(byte[] bytes) throws AuthFormatException {
        Decoder d = new Decoder(bytes);
        int tag = d.peekTag();
        AuthElement e = tag >= PRED && tag <= EXISTS ? d.form() : d.term();
        d.expectEnd();
        return e;
    }

    /** Decodes exactly one form. */
    public static Form decodeForm(byte[] bytes) throws AuthFormatException {
        Decoder d = new Decoder(bytes);
        Form f = d.form();
        d.expectEnd();
        return f;
    }

    /** Decodes exactly one term. */
    public static Term decodeTerm(byte[] bytes) throws AuthFormatException {
        Decoder d = new Decoder(bytes);
        Term t = d.term();
        d.expectEnd();
        return t;
    }

    private static final class Decoder {
        private final byte[] in;
        private int pos;
        private int depth;

        Decoder(byte[] in) throws AuthFormatException {
            if (in.length > AuthLimits.MAX_BINARY_LENGTH) {
                throw AuthFormatException.atByte(
                        "input is longer than " + AuthLimits.MAX_BINARY_LENGTH + " bytes",
                        AuthLimits.MAX_BINARY_LENGTH);
            }
            this.in = in;
        }

        void expectEnd() throws AuthFormatException {
            if (pos != in.length) {
                throw AuthFormatException.atByte((in.length - pos) + " trailing byte(s) after the element", pos);
            }
        }

        int peekTag() throws AuthFormatException {
            int at = pos;
            int tag = tag();
            pos = at;
            return tag;
        }

        private int tag() throws AuthFormatException {
            int at = pos;
            long tag = varint();
            if (tag < PRIN || tag > PRIN_EXT) {
                throw AuthFormatException.atByte("unknown tag " + Long.toUnsignedString(tag), at);
            }
            return (int) tag;
        }

        private long varint() throws AuthFormatException {
            int at = pos;
            long v = 0;
            for (int shift = 0; ; shift += 7) {
                if (pos >= in.length) {
                    throw AuthFormatException.atByte(pos == at ? "unexpected end of input" : "truncated varint", at);
                }
                int b = in[pos++] & 0xff;
                if (shift == 63 && b > 1) {
                    throw AuthFormatException.atByte("varint overflows 64 bits", at);
                }
                v |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    if (b == 0 && shift > 0) {
                        throw AuthFormatException.atByte("non-minimal varint", at);
                    }
                    return v;
                }
            }
        }

        /**
         * Lists grow as their elements arrive: a claimed count is bounded only by the bytes left in
         * the whole input, and presizing nested lists to their claims would multiply that.
         */
        private static int initialCapacity(int claimed) {
            return Math.min(claimed, 16);
        }

        /** A length or count: at most the bytes left, since every element takes at least one. */
        private int size(String what) throws AuthFormatException {
            int at = pos;
            long n = varint();
            if (n < 0 || n > in.length - pos) {
                throw AuthFormatException.atByte(
                        what + " " + Long.toUnsignedString(n) + " runs past the end of the input", at);
            }
            return (int) n;
        }

        private boolean bool() throws AuthFormatException {
            int at = pos;
            long v = varint();
            if (v != 0 && v != 1) {
                throw AuthFormatException.atByte("boolean must be 0 or 1", at);
            }
            return v == 1;
        }

        private byte[] rawBytes() throws AuthFormatException {
            int n = size("length");
            byte[] b = Arrays.copyOfRange(in, pos, pos + n);
            pos += n;
            return b;
        }

        private String string() throws AuthFormatException {
            int at = pos;
            byte[] b = rawBytes();
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(b))
                        .toString();
            } catch (CharacterCodingException e) {
                throw AuthFormatException.atByte("string is not valid UTF-8", at);
            }
        }

        private String identifier(String what) throws AuthFormatException {
            int at = pos;
            String s = string();
            if (!Names.isIdentifier(s)) {
                throw AuthFormatException.atByte(what + " " + Quoting.brief(s) + " is not a name of the form [A-Z][A-Za-z0-9_]*", at);
            }
            return s;
        }

        private void enter() throws AuthFormatException {
            if (++depth > AuthLimits.MAX_DEPTH) {
                throw AuthFormatException.atByte("input nests more than " + AuthLimits.MAX_DEPTH + " levels deep", pos);
            }
        }

        Term term() throws AuthFormatException {
            enter();
            int at = pos;
            int tag = tag();
            Term t = switch (tag) {
                case PRIN -> {
                    int typeAt = pos;
                    String type = string();
                    if (!Names.isPrinType(type)) {
                        throw AuthFormatException.atByte("principal type " + Quoting.brief(type)
                                + " is not a lowercase word of the form [a-z][a-z0-9]* (or is a keyword)", typeAt);
                    }
                    Term key = term();
                    yield new Prin(type, key, subPrin());
                }
                case PRIN_TAIL -> {
                    SubPrin ext = subPrin();
                    if (ext.isEmpty()) {
                        throw AuthFormatException.atByte("a principal tail needs at least one extension", at);
                    }
                    yield new PrinTail(ext);
                }
                case STR -> new Str(string());
                case BYTES -> new Bytes(rawBytes());
                case INT -> new Int(varint());
                case TERM_VAR -> new TermVar(identifier("variable"));
                default -> throw AuthFormatException.atByte("expected a term, found tag " + tag
                        + (tag <= EXISTS ? " (a formula)" : ""), at);
            };
            depth--;
            return t;
        }

        private SubPrin subPrin() throws AuthFormatException {
            int at = pos;
            if (tag() != SUB_PRIN) {
                throw AuthFormatException.atByte("expected extensions (tag 17)", at);
            }
            int n = size("extension count");
            List<PrinExt> exts = new ArrayList<>(initialCapacity(n));
            for (int i = 0; i < n; i++) {
                int extAt = pos;
                if (tag() != PRIN_EXT) {
                    throw AuthFormatException.atByte("expected an extension (tag 18)", extAt);
                }
                String name = identifier("extension name");
                exts.add(new PrinExt(name, terms()));
            }
            return new SubPrin(exts);
        }

        private List<Term> terms() throws AuthFormatException {
            int n = size("argument count");
            List<Term> terms = new ArrayList<>(initialCapacity(n));
            for (int i = 0; i < n; i++) {
                terms.add(term());
            }
            return terms;
        }

        private List<Form> forms() throws AuthFormatException {
            int n = size("formula count");
            List<Form> forms = new ArrayList<>(initialCapacity(n));
            for (int i = 0; i < n; i++) {
                forms.add(form());
            }
            return forms;
        }

        private OptionalLong optionalTime() throws AuthFormatException {
            return bool() ? OptionalLong.of(varint()) : OptionalLong.empty();
        }

        Form form() throws AuthFormatException {
            enter();
            int at = pos;
            int tag = tag();
            Form f = switch (tag) {
                case PRED -> {
                    String name = identifier("predicate name");
                    yield new Pred(name, terms());
                }
                case CONST -> bool() ? Const.TRUE : Const.FALSE;
                case NOT -> new Not(form());
                case AND -> new And(forms());
                case OR -> new Or(forms());
                case IMPLIES -> {
                    Form a = form();
                    yield new Implies(a, form());
                }
                case SPEAKSFOR -> {
                    Term d = term();
                    yield new Speaksfor(d, term());
                }
                case SAYS -> {
                    Term speaker = term();
                    OptionalLong from = optionalTime();
                    OptionalLong until = optionalTime();
                    yield new Says(speaker, from, until, form());
                }
                case FORALL -> {
                    String v = identifier("variable");
                    yield new Forall(v, form());
                }
                case EXISTS -> {
                    String v = identifier("variable");
                    yield new Exists(v, form());
                }
                default -> throw AuthFormatException.atByte("expected a formula, found tag " + tag
                        + (tag <= TERM_VAR ? " (a term)" : ""), at);
            };
            depth--;
            return f;
        }
    }
}
