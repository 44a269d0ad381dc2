package dev.cloudproxy.tao.auth;

/**
 * A value of the auth language: a {@link Term} or a {@link Form}.
 *
 * <p>Every element is immutable. Its {@code toString()} is its canonical text form, which
 * {@link #parse(String)} reads back to an element that prints the same, and {@link #encode()} is
 * its binary form (CloudProxy's encoding), which {@link #decode(byte[])} reads back to an equal
 * element. Elements built in code are checked by their constructors, so anything that can be
 * built can be printed, encoded, parsed and decoded.
 */
public sealed interface AuthElement permits Term, Form {

    /** The binary encoding of this element (CloudProxy's tagged format). */
    default byte[] encode() {
        return AuthBinary.encode(this);
    }

    /**
     * Parses the text form of a form or, if the text is not a form, of a term.
     *
     * @throws AuthFormatException if the text is neither; the message says what and where
     */
    static AuthElement parse(String text) throws AuthFormatException {
        return AuthText.parseElement(text);
    }

    /**
     * Decodes the binary form of a form or a term (the leading tag says which).
     *
     * @throws AuthFormatException if the bytes are not exactly one well-formed element
     */
    static AuthElement decode(byte[] bytes) throws AuthFormatException {
        return AuthBinary.decode(bytes);
    }
}
