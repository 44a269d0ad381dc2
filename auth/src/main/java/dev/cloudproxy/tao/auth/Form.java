package dev.cloudproxy.tao.auth;

/** A formula of the auth language: a statement that can be said, signed, authorized or derived. */
public sealed interface Form extends AuthElement
        permits Pred, Const, Not, And, Or, Implies, Speaksfor, Says, Forall, Exists {

    /** Parses the text form of a formula, for example {@code key([aa]) says P(1)}. */
    static Form parse(String text) throws AuthFormatException {
        return AuthText.parseForm(text);
    }

    /** Decodes the binary form of a formula. */
    static Form decode(byte[] bytes) throws AuthFormatException {
        return AuthBinary.decodeForm(bytes);
    }
}
