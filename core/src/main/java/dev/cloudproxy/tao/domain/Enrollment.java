package dev.cloudproxy.tao.domain;

import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.And;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.keys.Verifier;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The values of TPM host enrolment, shared by the host ({@link DomainServiceClient#enroll}) and
 * the domain service: a TPM-rooted host proves to the service, with no policy password on the
 * host's machine, that its attestation key (AK) lives in a TPM whose endorsement key (EK) a
 * trusted manufacturer certified, and gets its host certificate from the service.
 *
 * <p>Two requests on one TLS connection (docs/domain-service.md, "Enrolling a TPM-rooted host"):
 * <ol>
 *   <li>{@link Request}: the EK certificate (and intermediates), the EK's and the AK's public
 *       areas and the host key. The service checks the EK certificate against the domain's EK
 *       CAs and the AK's attributes, and answers a {@link Challenge}: a fresh single-use nonce and
 *       {@code TPM2_MakeCredential} of a fresh secret for that EK and the AK's TPM name.
 *   <li>{@link Answer}: the secret as {@code TPM2_ActivateCredential} released it (only the TPM
 *       holding that EK and an object with exactly that name can) and a fresh quote by the AK of
 *       {@link #statement}, which binds the host key, the host's name and the nonce. The service
 *       checks both, checks the quoted PCR values against the guard, and issues the host
 *       certificate for the host key naming the quote's speaker.
 * </ol>
 */
public final class Enrollment {
    /** The predicate that carries the service's nonce in the enrolment quote. */
    public static final String NONCE_PREDICATE = "TaoEnrollment";
    /** Bytes in a nonce. */
    public static final int NONCE_BYTES = 32;

    private Enrollment() {}

    /**
     * What the enrolment quote says: {@code key(host) speaksfor name and TaoEnrollment([nonce])},
     * spoken by the host's TPM-rooted name.
     */
    public static Form statement(Verifier hostKey, Prin name, byte[] nonce) {
        return And.of(new Speaksfor(hostKey.principal(), name), Pred.of(NONCE_PREDICATE, new Bytes(nonce.clone())));
    }

    /**
     * The nonce of an enrolment statement whose delegation is {@code hostKey} to {@code speaker},
     * or empty if {@code message} is not exactly such a statement.
     */
    public static Optional<byte[]> nonceOf(Form message, Prin hostKey, Prin speaker) {
        if (message instanceof And and && and.conjuncts().size() == 2
                && and.conjuncts().get(0) instanceof Speaksfor sf && hostKey.equals(sf.delegate())
                && speaker.equals(sf.delegator())
                && and.conjuncts().get(1) instanceof Pred p && p.name().equals(NONCE_PREDICATE)
                && p.args().size() == 1 && p.args().get(0) instanceof Bytes b) {
            return Optional.of(b.value());
        }
        return Optional.empty();
    }

    /** What the host sends first. Public values only. */
    public record Request(List<byte[]> ekCertificates, byte[] ekPublicArea, byte[] akPublicArea, Verifier hostKey) {
        public Request {
            List<byte[]> copies = new ArrayList<>();
            for (byte[] c : ekCertificates) {
                copies.add(c.clone());
            }
            ekCertificates = List.copyOf(copies);
            ekPublicArea = ekPublicArea.clone();
            akPublicArea = akPublicArea.clone();
            Objects.requireNonNull(hostKey, "hostKey");
            if (ekCertificates.isEmpty()) {
                throw new IllegalArgumentException("an enrolment needs the EK certificate");
            }
        }

        @Override
        public List<byte[]> ekCertificates() {
            return ekCertificates.stream().map(byte[]::clone).toList();
        }

        @Override
        public byte[] ekPublicArea() {
            return ekPublicArea.clone();
        }

        @Override
        public byte[] akPublicArea() {
            return akPublicArea.clone();
        }
    }

    /**
     * The service's challenge: the nonce and the credential blob of {@code TPM2_MakeCredential}
     * ({@code TPMS_ID_OBJECT}'s two parts and the encrypted seed). Public: only the TPM can open it.
     */
    public record Challenge(byte[] nonce, byte[] integrityHmac, byte[] encIdentity, byte[] encryptedSecret) {
        public Challenge {
            nonce = nonce.clone();
            integrityHmac = integrityHmac.clone();
            encIdentity = encIdentity.clone();
            encryptedSecret = encryptedSecret.clone();
        }

        @Override
        public byte[] nonce() {
            return nonce.clone();
        }

        @Override
        public byte[] integrityHmac() {
            return integrityHmac.clone();
        }

        @Override
        public byte[] encIdentity() {
            return encIdentity.clone();
        }

        @Override
        public byte[] encryptedSecret() {
            return encryptedSecret.clone();
        }
    }

    /**
     * The host's answer: the activated credential and the enrolment quote. The credential is a
     * single-use secret of this enrolment, so this is a class that never prints it, not a record.
     */
    public static final class Answer {
        private final byte[] credential;
        private final Attestation attestation;

        public Answer(byte[] credential, Attestation attestation) {
            this.credential = credential.clone();
            this.attestation = Objects.requireNonNull(attestation, "attestation");
        }

        /** The activated credential (a copy). */
        public byte[] credential() {
            return credential.clone();
        }

        public Attestation attestation() {
            return attestation;
        }

        /** Forgets the credential. */
        public void destroy() {
            Arrays.fill(credential, (byte) 0);
        }

        @Override
        public String toString() {
            return "Enrollment.Answer[" + attestation.issuer() + "]";
        }
    }

    /** The TPM's side, called between the two requests. */
    @FunctionalInterface
    public interface Responder {
        /**
         * Activates the challenge's credential with the TPM and quotes {@link #statement} with the
         * challenge's nonce.
         */
        Answer answer(Challenge challenge) throws IOException, TaoException;
    }
}
