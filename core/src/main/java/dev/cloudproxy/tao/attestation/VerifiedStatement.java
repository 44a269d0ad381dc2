package dev.cloudproxy.tao.attestation;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.Speaksfor;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a verified attestation proves: {@code speaker from effectiveFrom until effectiveUntil says
 * statement.message()}.
 *
 * @param signer the key principal whose signature checked out: {@code key([..])}, or
 *     {@code tpm2([..])} for a TPM attestation key whose quote checked out
 * @param speaker the statement's issuer, for whom the signer was shown to speak
 * @param statement the statement exactly as signed
 * @param effectiveFrom the start of the window in which the conclusion holds: the latest start
 *     along the delegation chain (empty if none was set)
 * @param effectiveUntil the end of that window: the earliest end along the chain
 * @param delegation present when the message is {@code D speaksfor P} for principals D and P, and
 *     the speaker is P or an ancestor of P: only then does the statement delegate anything
 * @param endorsements the verified endorsements that came with the attestation; evidence for the
 *     caller to weigh, never trusted by this verifier
 */
public record VerifiedStatement(
        Prin signer,
        Prin speaker,
        Says statement,
        OptionalLong effectiveFrom,
        OptionalLong effectiveUntil,
        Optional<Speaksfor> delegation,
        List<VerifiedStatement> endorsements) {

    public VerifiedStatement {
        Objects.requireNonNull(signer, "signer");
        Objects.requireNonNull(speaker, "speaker");
        Objects.requireNonNull(statement, "statement");
        Objects.requireNonNull(effectiveFrom, "effectiveFrom");
        Objects.requireNonNull(effectiveUntil, "effectiveUntil");
        Objects.requireNonNull(delegation, "delegation");
        endorsements = List.copyOf(endorsements);
    }
}
