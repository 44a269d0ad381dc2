package dev.cloudproxy.tao;

import java.util.Objects;

/**
 * What {@link Tao#attest} returns: the attestation, serialized as CloudProxy's protobuf
 * (docs/core.md), and the statement it signs in the auth language's text, for example
 * {@code key([..]).Jvm([..]) from 1767225600 until 1798761600 says Ready("db")}.
 *
 * <p>The statement is the one the Tao just signed for the caller; a party that receives the bytes
 * from elsewhere must verify them (with {@code tao-core}'s {@code AttestationVerifier} and the
 * domain's trust root), never trust a statement text that came with them.
 */
public final class SignedStatement {
    private final byte[] attestation;
    private final String statement;

    /** Copies {@code attestation}. */
    public SignedStatement(byte[] attestation, String statement) {
        this.attestation = Objects.requireNonNull(attestation, "attestation").clone();
        this.statement = Objects.requireNonNull(statement, "statement");
    }

    /** A copy of the serialized attestation. */
    public byte[] attestation() {
        return attestation.clone();
    }

    /** The signed statement, in the auth language's text. */
    public String statement() {
        return statement;
    }

    @Override
    public String toString() {
        return "SignedStatement[" + statement + ", " + attestation.length + " bytes]";
    }
}
