package dev.cloudproxy.tao.auth;

/** A term of the auth language: a value that predicates and statements talk about. */
public sealed interface Term extends AuthElement permits Prin, PrinTail, Str, Bytes, Int, TermVar {

    /** Parses the text form of a term, for example {@code key([aa]).Program([bb])} or {@code "s"}. */
    static Term parse(String text) throws AuthFormatException {
        return AuthText.parseTerm(text);
    }

    /** Decodes the binary form of a term. */
    static Term decode(byte[] bytes) throws AuthFormatException {
        return AuthBinary.decodeTerm(bytes);
    }
}
