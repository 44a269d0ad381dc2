package dev.cloudproxy.tao.auth;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.OptionalLong;

/**
 * Recursive-descent parser for the text form, with the grammar and precedence of CloudProxy:
 *
 * <pre>
 *   form    = ("forall" | "exists") Ident ":" form  |  or ["implies" form]
 *   or      = and {"or" and}
 *   and     = high {"and" high}
 *   high    = "(" form ")" | "true" | "false" | "not" high | ("forall" | "exists") ...
 *           | Ident "(" [term {"," term}] ")"                 predicate
 *           | term "speaksfor" term
 *           | term ["from" int] ["until" int] "says" form     (either order of from/until)
 *   term    = "(" term ")" | string | bytes | int | Ident | prin | "ext" {"." ext}
 *   prin    = type "(" term ")" {"." ext}                     no space before "(" or "."
 *   ext     = Ident "(" [term {"," term}] ")"                 no space before "("
 * </pre>
 *
 * {@code says}, {@code forall} and {@code exists} take everything to their right. Where CloudProxy
 * accepted input by accident (its byte-string lexer repeated earlier hex groups, and it could not
 * lex {@code tpm2}), this parser does what the text says.
 */
final class Parser {
    private static final int MAX_RECURSION = 4 * AuthLimits.MAX_DEPTH;

    private enum Kind { EOF, WORD, IDENT, STR, BYTES, INT, LP, RP, COMMA, DOT, COLON }

    /** A token; {@code WORD} is a lowercase word: a keyword or a principal type. */
    private record Token(Kind kind, int start, int end, String text, Object value) {}

    private final String in;
    private int pos;
    private Token look;
    private int recursion;

    private Parser(String in) {
        this.in = in;
    }

    static Form parseForm(String text) throws AuthFormatException {
        Parser p = start(text);
        Form f = p.form();
        p.expectEnd();
        return f;
    }

    static Term parseTerm(String text) throws AuthFormatException {
        Parser p = start(text);
        Term t = p.term();
        p.expectEnd();
        return t;
    }

    private static Parser start(String text) throws AuthFormatException {
        if (text.length() > AuthLimits.MAX_TEXT_LENGTH) {
            throw AuthFormatException.atChar(
                    "input is longer than " + AuthLimits.MAX_TEXT_LENGTH + " characters",
                    text, AuthLimits.MAX_TEXT_LENGTH);
        }
        return new Parser(text);
    }

    // ---- depth ----

    /** The depth (as {@link AuthLimits#MAX_DEPTH} counts it) of the element the last parse method returned. */
    private int lastDepth;

    /**
     * Records the depth of a node just built from parts whose deepest is {@code maxPart} deep, and
     * refuses it, naming where it starts, if that passes the limit. Nodes are built innermost
     * first, so the error names the first element that is too deep.
     */
    private <T> T node(T node, int maxPart, Token start) throws AuthFormatException {
        int depth = maxPart + 1;
        if (depth > AuthLimits.MAX_DEPTH) {
            throw error("input nests more than " + AuthLimits.MAX_DEPTH + " levels deep", start);
        }
        lastDepth = depth;
        return node;
    }

    /**
     * Guards the parser's own recursion, which parentheses deepen without deepening the element;
     * within this bound the stack is safe.
     */
    private void enter() throws AuthFormatException {
        if (++recursion > MAX_RECURSION) {
            throw error("more than " + MAX_RECURSION + " nested parentheses and operators", cur());
        }
    }

    // ---- grammar ----

    private Form form() throws AuthFormatException {
        enter();
        try {
            if (isWord("forall") || isWord("exists")) {
                return quantification();
            }
            Token start = cur();
            Form f = or();
            if (!isWord("implies")) {
                return f;
            }
            int antecedent = lastDepth;
            advance();
            Form g = form();
            return node(new Implies(f, g), Math.max(antecedent, lastDepth), start);
        } finally {
            recursion--;
        }
    }

    private Form or() throws AuthFormatException {
        Token start = cur();
        Form f = and();
        if (!isWord("or")) {
            return f;
        }
        // As in CloudProxy, a parenthesized disjunction on the left is extended, not nested.
        List<Form> parts;
        int maxPart;
        if (f instanceof Or o) {
            parts = new ArrayList<>(o.disjuncts());
            maxPart = lastDepth - 1;
        } else {
            parts = new ArrayList<>(List.of(f));
            maxPart = lastDepth;
        }
        while (isWord("or")) {
            advance();
            parts.add(and());
            maxPart = Math.max(maxPart, lastDepth);
        }
        return node(new Or(parts), maxPart, start);
    }

    private Form and() throws AuthFormatException {
        Token start = cur();
        Form f = high();
        if (!isWord("and")) {
            return f;
        }
        List<Form> parts;
        int maxPart;
        if (f instanceof And a) {
            parts = new ArrayList<>(a.conjuncts());
            maxPart = lastDepth - 1;
        } else {
            parts = new ArrayList<>(List.of(f));
            maxPart = lastDepth;
        }
        while (isWord("and")) {
            advance();
            parts.add(high());
            maxPart = Math.max(maxPart, lastDepth);
        }
        return node(new And(parts), maxPart, start);
    }

    private Form high() throws AuthFormatException {
        enter();
        try {
            Token t = cur();
            switch (t.kind()) {
                case LP -> {
                    advance();
                    Form f = form();
                    expect(Kind.RP, "')'");
                    return f;
                }
                case WORD -> {
                    switch (t.text()) {
                        case "true" -> {
                            advance();
                            return node(Const.TRUE, 0, t);
                        }
                        case "false" -> {
                            advance();
                            return node(Const.FALSE, 0, t);
                        }
                        case "not" -> {
                            advance();
                            Form negand = high();
                            return node(new Not(negand), lastDepth, t);
                        }
                        case "forall", "exists" -> {
                            return quantification();
                        }
                        default -> {
                            if (t.text().equals("ext") || !Names.KEYWORDS.contains(t.text())) {
                                return termOperation();
                            }
                        }
                    }
                }
                case STR, BYTES, INT, IDENT -> {
                    return termOperation();
                }
                default -> { }
            }
            throw error("expected a formula, found " + describe(t), t);
        } finally {
            recursion--;
        }
    }

    private Form quantification() throws AuthFormatException {
        Token start = cur();
        boolean forall = start.text().equals("forall");
        advance();
        Token v = cur();
        if (v.kind() != Kind.IDENT) {
            throw error("expected a variable name, found " + describe(v), v);
        }
        advance();
        expect(Kind.COLON, "':'");
        Form body = form();
        return node(forall ? new Forall(v.text(), body) : new Exists(v.text(), body), lastDepth, start);
    }

    /** A predicate, or a term followed by "speaksfor" or "[from] [until] says". */
    private Form termOperation() throws AuthFormatException {
        Term subject;
        Token start = cur();
        if (start.kind() == Kind.IDENT) {
            advance();
            if (nextCharIs('(')) {
                List<Term> args = args();
                return node(new Pred(start.text(), args), lastDepth, start);
            }
            subject = node(new TermVar(start.text()), 0, start);
        } else {
            subject = term0();
        }
        int subjectDepth = lastDepth;
        if (isWord("speaksfor")) {
            advance();
            Term delegator = term();
            return node(new Speaksfor(subject, delegator), Math.max(subjectDepth, lastDepth), start);
        }
        if (isWord("from") || isWord("until") || isWord("says")) {
            OptionalLong from = optionalTime("from");
            OptionalLong until = optionalTime("until");
            if (from.isEmpty()) {
                from = optionalTime("from");
            }
            if (!isWord("says")) {
                String options = from.isEmpty() && until.isEmpty() ? "\"from\", \"until\" or \"says\""
                        : until.isEmpty() ? "\"until\" or \"says\""
                        : from.isEmpty() ? "\"from\" or \"says\"" : "\"says\"";
                throw error("expected " + options + ", found " + describe(cur()), cur());
            }
            advance();
            Form message = form();
            return node(new Says(subject, from, until, message), Math.max(subjectDepth, lastDepth), start);
        }
        throw error("expected \"speaksfor\", \"from\", \"until\" or \"says\" after a term, found "
                + describe(cur()), cur());
    }

    private OptionalLong optionalTime(String word) throws AuthFormatException {
        if (!isWord(word)) {
            return OptionalLong.empty();
        }
        advance();
        int open = skipOpenParens();
        Token t = cur();
        if (t.kind() != Kind.INT) {
            throw error("expected an integer time after \"" + word + "\", found " + describe(t), t);
        }
        advance();
        expectCloseParens(open);
        return OptionalLong.of((Long) t.value());
    }

    /** A term with optional outer parentheses. */
    private Term term() throws AuthFormatException {
        int open = skipOpenParens();
        Term t = term0();
        expectCloseParens(open);
        return t;
    }

    /** A term without outer parentheses. */
    private Term term0() throws AuthFormatException {
        enter();
        try {
            Token t = cur();
            switch (t.kind()) {
                case STR -> {
                    advance();
                    return node(new Str((String) t.value()), 0, t);
                }
                case BYTES -> {
                    advance();
                    return node(new Bytes((byte[]) t.value()), 0, t);
                }
                case INT -> {
                    advance();
                    return node(new Int((Long) t.value()), 0, t);
                }
                case IDENT -> {
                    advance();
                    return node(new TermVar(t.text()), 0, t);
                }
                case WORD -> {
                    if (t.text().equals("ext")) {
                        return prinTail();
                    } else if (!Names.KEYWORDS.contains(t.text())) {
                        return prin();
                    }
                }
                default -> { }
            }
            throw error("expected a term, found " + describe(t), t);
        } finally {
            recursion--;
        }
    }

    private Prin prin() throws AuthFormatException {
        Token type = cur();
        advance();
        if (!Names.isPrinType(type.text())) {
            throw error("invalid principal type " + Quoting.brief(type.text()), type);
        }
        if (!nextCharIs('(')) {
            throw error("expected '(' directly after principal type \"" + type.text() + "\"", cur());
        }
        advance(cur());
        Term key = term0();
        int keyDepth = lastDepth;
        expect(Kind.RP, "')'");
        SubPrin ext = SubPrin.EMPTY;
        int extDepth = 0;
        if (nextCharIs('.')) {
            ext = subPrin();
            extDepth = lastDepth;
        }
        return node(new Prin(type.text(), key, ext), Math.max(keyDepth, extDepth), type);
    }

    private PrinTail prinTail() throws AuthFormatException {
        Token start = cur();
        advance(); // "ext"
        if (!nextCharIs('.')) {
            throw error("expected '.' directly after \"ext\": a principal tail needs at least one extension", cur());
        }
        SubPrin ext = subPrin();
        return node(new PrinTail(ext), lastDepth, start);
    }

    /** Extensions; {@link #lastDepth} becomes the depth of their deepest argument (0 if none). */
    private SubPrin subPrin() throws AuthFormatException {
        List<PrinExt> exts = new ArrayList<>();
        int maxArg = 0;
        do {
            advance(cur()); // the '.'
            Token name = cur();
            if (name.kind() != Kind.IDENT) {
                throw error("expected an extension name after '.', found " + describe(name), name);
            }
            advance();
            if (!nextCharIs('(')) {
                throw error("expected '(' directly after extension name " + name.text(), cur());
            }
            exts.add(new PrinExt(name.text(), args()));
            maxArg = Math.max(maxArg, lastDepth);
        } while (nextCharIs('.'));
        lastDepth = maxArg;
        return new SubPrin(exts);
    }

    /**
     * "(" [term {"," term}] ")", the opening parenthesis being next; {@link #lastDepth} becomes the
     * depth of the deepest argument (0 if none).
     */
    private List<Term> args() throws AuthFormatException {
        advance(cur()); // the '('
        List<Term> args = new ArrayList<>();
        int maxArg = 0;
        if (cur().kind() == Kind.RP) {
            advance();
            lastDepth = 0;
            return args;
        }
        while (true) {
            args.add(term());
            maxArg = Math.max(maxArg, lastDepth);
            if (cur().kind() != Kind.COMMA) {
                break;
            }
            advance();
        }
        expect(Kind.RP, "',' or ')'");
        lastDepth = maxArg;
        return args;
    }

    private int skipOpenParens() throws AuthFormatException {
        int n = 0;
        while (cur().kind() == Kind.LP) {
            advance();
            n++;
            if (n > MAX_RECURSION) {
                throw error("more than " + MAX_RECURSION + " nested parentheses and operators", cur());
            }
        }
        return n;
    }

    private void expectCloseParens(int n) throws AuthFormatException {
        for (int i = 0; i < n; i++) {
            expect(Kind.RP, "')'");
        }
    }

    private void expectEnd() throws AuthFormatException {
        Token t = cur();
        if (t.kind() != Kind.EOF) {
            throw error("expected end of input, found " + describe(t), t);
        }
    }

    // ---- tokens ----

    private Token cur() throws AuthFormatException {
        if (look == null) {
            look = lex();
        }
        return look;
    }

    private void advance() {
        look = null;
    }

    private void advance(Token expected) {
        assert look == expected;
        look = null;
    }

    private boolean isWord(String word) throws AuthFormatException {
        Token t = cur();
        return t.kind() == Kind.WORD && t.text().equals(word);
    }

    private void expect(Kind kind, String what) throws AuthFormatException {
        Token t = cur();
        if (t.kind() != kind) {
            throw error("expected " + what + ", found " + describe(t), t);
        }
        advance();
    }

    /**
     * Whether the character right after the last consumed token (no space between) is {@code c}.
     * Called only between tokens, when no lookahead has been read.
     */
    private boolean nextCharIs(char c) {
        if (look != null) {
            throw new IllegalStateException("adjacency checked after lookahead");
        }
        return pos < in.length() && in.charAt(pos) == c;
    }

    private AuthFormatException error(String reason, Token at) {
        return AuthFormatException.atChar(reason, in, at.start());
    }

    private static String describe(Token t) {
        return switch (t.kind()) {
            case EOF -> "end of input";
            case WORD -> "\"" + t.text() + "\"";
            case IDENT -> "name " + t.text();
            case STR -> "a string";
            case BYTES -> "a byte string";
            case INT -> "integer " + t.text();
            default -> "'" + t.text() + "'";
        };
    }

    private Token lex() throws AuthFormatException {
        while (pos < in.length()) {
            int cp = in.codePointAt(pos);
            if (!isSpace(cp)) {
                break;
            }
            pos += Character.charCount(cp);
        }
        int start = pos;
        if (pos >= in.length()) {
            return new Token(Kind.EOF, start, start, "", null);
        }
        char c = in.charAt(pos);
        Kind punct = switch (c) {
            case '(' -> Kind.LP;
            case ')' -> Kind.RP;
            case ',' -> Kind.COMMA;
            case '.' -> Kind.DOT;
            case ':' -> Kind.COLON;
            default -> null;
        };
        if (punct != null) {
            pos++;
            return new Token(punct, start, pos, String.valueOf(c), null);
        }
        if (c == '"') {
            return lexString(start);
        }
        if (c == '[') {
            return lexHex(start);
        }
        if (c == '{') {
            return lexBase64(start);
        }
        if (c == '-' || Names.isDigit(c)) {
            return lexInt(start);
        }
        if (Names.isLower(c)) {
            pos++;
            while (pos < in.length() && (Names.isLower(in.charAt(pos)) || Names.isDigit(in.charAt(pos)))) {
                pos++;
            }
            return new Token(Kind.WORD, start, pos, in.substring(start, pos), null);
        }
        if (Names.isUpper(c)) {
            pos++;
            while (pos < in.length()) {
                char d = in.charAt(pos);
                if (!(Names.isUpper(d) || Names.isLower(d) || Names.isDigit(d) || d == '_')) {
                    break;
                }
                pos++;
            }
            return new Token(Kind.IDENT, start, pos, in.substring(start, pos), null);
        }
        int cp = in.codePointAt(pos);
        StringBuilder shown = new StringBuilder();
        Quoting.quote(shown, new String(Character.toChars(Character.isValidCodePoint(cp) ? cp : '?')));
        throw AuthFormatException.atChar("unexpected character " + shown, in, start);
    }

    private static boolean isSpace(int cp) {
        return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x85 || Character.isSpaceChar(cp);
    }

    private Token lexInt(int start) throws AuthFormatException {
        pos = start;
        if (in.charAt(pos) == '-') {
            pos++;
        }
        int digits = pos;
        while (pos < in.length() && Names.isDigit(in.charAt(pos))) {
            pos++;
        }
        if (pos == digits) {
            throw AuthFormatException.atChar("expected digits after '-'", in, start);
        }
        String text = in.substring(start, pos);
        try {
            return new Token(Kind.INT, start, pos, text, Long.parseLong(text));
        } catch (NumberFormatException e) {
            throw AuthFormatException.atChar("integer out of the 64-bit range", in, start);
        }
    }

    private Token lexHex(int start) throws AuthFormatException {
        pos = start + 1;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int group = -1; // start of the current run of hex digits
        while (true) {
            if (pos >= in.length()) {
                throw AuthFormatException.atChar("unterminated byte string (missing ']')", in, start);
            }
            char c = in.charAt(pos);
            if (Character.digit(c, 16) >= 0 && c < 0x80) {
                if (group < 0) {
                    group = pos;
                }
                pos++;
                continue;
            }
            if (group >= 0) {
                if ((pos - group) % 2 != 0) {
                    throw AuthFormatException.atChar("odd number of hex digits in byte string", in, group);
                }
                for (int i = group; i < pos; i += 2) {
                    bytes.write(Character.digit(in.charAt(i), 16) << 4 | Character.digit(in.charAt(i + 1), 16));
                }
                group = -1;
            }
            if (c == ']') {
                pos++;
                return new Token(Kind.BYTES, start, pos, in.substring(start, pos), bytes.toByteArray());
            }
            if (!isSpace(c)) {
                throw AuthFormatException.atChar("invalid hex digit in byte string", in, pos);
            }
            pos++;
        }
    }

    private Token lexBase64(int start) throws AuthFormatException {
        pos = start + 1;
        StringBuilder b64 = new StringBuilder();
        while (true) {
            if (pos >= in.length()) {
                throw AuthFormatException.atChar("unterminated base64 byte string (missing '}')", in, start);
            }
            char c = in.charAt(pos);
            if (c == '}') {
                pos++;
                break;
            }
            if (Names.isUpper(c) || Names.isLower(c) || Names.isDigit(c) || c == '-' || c == '_' || c == '=') {
                b64.append(c);
            } else if (c != '\r' && c != '\n') {
                throw AuthFormatException.atChar("invalid base64url character in byte string", in, pos);
            }
            pos++;
        }
        try {
            byte[] value = Base64.getUrlDecoder().decode(b64.toString());
            return new Token(Kind.BYTES, start, pos, in.substring(start, pos), value);
        } catch (IllegalArgumentException e) {
            throw AuthFormatException.atChar("malformed base64url byte string", in, start);
        }
    }

    private Token lexString(int start) throws AuthFormatException {
        pos = start + 1;
        ByteArrayOutputStream utf8 = new ByteArrayOutputStream();
        while (true) {
            if (pos >= in.length()) {
                throw AuthFormatException.atChar("unterminated string (missing '\"')", in, start);
            }
            int cp = in.codePointAt(pos);
            if (cp == '"') {
                pos++;
                break;
            }
            if (cp == '\n') {
                throw AuthFormatException.atChar("newline in string (write \\n)", in, pos);
            }
            if (cp != '\\') {
                if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) {
                    throw AuthFormatException.atChar("unpaired surrogate in string", in, pos);
                }
                writeUtf8(utf8, cp);
                pos += Character.charCount(cp);
                continue;
            }
            int esc = pos;
            pos++;
            if (pos >= in.length()) {
                throw AuthFormatException.atChar("unterminated string (missing '\"')", in, start);
            }
            char e = in.charAt(pos++);
            switch (e) {
                case 'a' -> utf8.write(0x07);
                case 'b' -> utf8.write('\b');
                case 'f' -> utf8.write('\f');
                case 'n' -> utf8.write('\n');
                case 'r' -> utf8.write('\r');
                case 't' -> utf8.write('\t');
                case 'v' -> utf8.write(0x0b);
                case '\\' -> utf8.write('\\');
                case '"' -> utf8.write('"');
                case 'x' -> utf8.write((int) hexDigits(esc, 2));
                case 'u', 'U' -> {
                    long v = hexDigits(esc, e == 'u' ? 4 : 8);
                    if (v > Character.MAX_CODE_POINT || (v >= Character.MIN_SURROGATE && v <= Character.MAX_SURROGATE)) {
                        throw AuthFormatException.atChar("escape is not a valid Unicode code point", in, esc);
                    }
                    writeUtf8(utf8, (int) v);
                }
                case '0', '1', '2', '3', '4', '5', '6', '7' -> {
                    pos--;
                    int v = 0;
                    for (int i = 0; i < 3; i++) {
                        int d = pos < in.length() ? in.charAt(pos) - '0' : -1;
                        if (d < 0 || d > 7) {
                            throw AuthFormatException.atChar("octal escape needs three digits", in, esc);
                        }
                        v = v * 8 + d;
                        pos++;
                    }
                    if (v > 255) {
                        throw AuthFormatException.atChar("octal escape above \\377", in, esc);
                    }
                    utf8.write(v);
                }
                default -> throw AuthFormatException.atChar("unknown escape in string", in, esc);
            }
        }
        try {
            String value = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(utf8.toByteArray()))
                    .toString();
            return new Token(Kind.STR, start, pos, in.substring(start, pos), value);
        } catch (CharacterCodingException ex) {
            throw AuthFormatException.atChar("string escapes do not form valid UTF-8", in, start);
        }
    }

    /** Reads {@code n} hex digits; at most 8, so the value fits a long without wrapping. */
    private long hexDigits(int esc, int n) throws AuthFormatException {
        long v = 0;
        for (int i = 0; i < n; i++) {
            int d = pos < in.length() && in.charAt(pos) < 0x80 ? Character.digit(in.charAt(pos), 16) : -1;
            if (d < 0) {
                throw AuthFormatException.atChar("escape needs " + n + " hex digits", in, esc);
            }
            v = v * 16 + d;
            pos++;
        }
        return v;
    }

    private static void writeUtf8(ByteArrayOutputStream out, int cp) {
        byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
    }
}
