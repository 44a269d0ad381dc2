package dev.cloudproxy.tao.auth;

/**
 * The text form of the auth language, as CloudProxy prints and parses it.
 *
 * <p>Printing is total and canonical: every element prints, and the printed text parses back to
 * an element that prints the same (an {@code And} or {@code Or} of one part, or nested inside one
 * of its own kind, comes back flattened, as in CloudProxy). Parsing is bounded by
 * {@link AuthLimits} and reports errors with the column where they are.
 */
public final class AuthText {
    private AuthText() {}

    /** The canonical text of a form or term. */
    public static String print(AuthElement e) {
        return Printer.print(e);
    }

    /** The text of one extension, {@code Name(args)}. */
    public static String print(PrinExt e) {
        return Printer.print(e);
    }

    /** The text of a chain of extensions, {@code .A(...).B(...)} (empty for none). */
    public static String print(SubPrin s) {
        return Printer.print(s);
    }

    /** Parses a formula. */
    public static Form parseForm(String text) throws AuthFormatException {
        return Parser.parseForm(text);
    }

    /** Parses a term. */
    public static Term parseTerm(String text) throws AuthFormatException {
        return Parser.parseTerm(text);
    }

    /** Parses a principal (a term of the form {@code type(key).Ext(...)...}). */
    public static Prin parsePrin(String text) throws AuthFormatException {
        Term t = Parser.parseTerm(text);
        if (t instanceof Prin p) {
            return p;
        }
        throw AuthFormatException.atChar("expected a principal such as key([...]), found another term", text, 0);
    }

    /**
     * Parses a formula or, if the text is not one, a term. When it is neither, the error is the
     * one that got further into the text (the formula's on a tie).
     */
    public static AuthElement parseElement(String text) throws AuthFormatException {
        try {
            return Parser.parseForm(text);
        } catch (AuthFormatException asForm) {
            try {
                return Parser.parseTerm(text);
            } catch (AuthFormatException asTerm) {
                throw asTerm.offset() > asForm.offset() ? asTerm : asForm;
            }
        }
    }
}
