package dev.cloudproxy.tao.agent.tooling;

/** A sealed-state plaintext that does not decode (after it unsealed, so it is a bug or a format change). */
final class SealedStateException extends Exception {
    private static final long serialVersionUID = 1L;

    SealedStateException(String message) {
        super(message);
    }
}
