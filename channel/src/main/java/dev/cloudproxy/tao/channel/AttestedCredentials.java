package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.AttestRequest;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.keys.Signer;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What a program shows its peers in the certificate-free mode of the papers: a fresh P-256 TLS
 * key {@code K} in a self-signed certificate, and its Tao's attestation
 * {@code P says key(K) speaksfor P}, where {@code P} is the program's name.
 *
 * <p>It owns the TLS key, made here and never stored; {@link #close()} destroys it. One instance
 * serves any number of channels until the attestation expires.
 */
public final class AttestedCredentials implements AutoCloseable {
    /** Lifetime of the attestation and certificate unless {@link #create(CoreTao, Duration)} says otherwise. */
    public static final Duration DEFAULT_LIFETIME = Duration.ofDays(1);

    private final Signer key;
    private final X509Certificate certificate;
    private final Attestation attestation;
    private final Prin principal;

    private AttestedCredentials(Signer key, X509Certificate certificate, Attestation attestation, Prin principal) {
        this.key = key;
        this.certificate = certificate;
        this.attestation = attestation;
        this.principal = principal;
    }

    /** A new TLS key attested by {@code tao} for its current name, valid for a day. */
    public static AttestedCredentials create(CoreTao tao) throws IOException, TaoException {
        return create(tao, DEFAULT_LIFETIME);
    }

    /**
     * A new TLS key attested by {@code tao} for its current name ({@code getTaoName()}), valid
     * from now for {@code lifetime}.
     */
    public static AttestedCredentials create(CoreTao tao, Duration lifetime) throws IOException, TaoException {
        Objects.requireNonNull(tao, "tao");
        ChannelConfig.checkTimeout(lifetime, "the lifetime");
        Signer key = Signer.generate();
        try {
            Prin name = tao.getTaoName();
            Instant now = Instant.now();
            long until = Math.addExact(now.getEpochSecond(), lifetime.toSeconds());
            Attestation attestation = tao.attest(AttestRequest.of(new Speaksfor(key.principal(), name)).until(until));
            return new AttestedCredentials(key,
                    SelfSignedCertificate.create(key, now.minus(Duration.ofMinutes(1)), Instant.ofEpochSecond(until)),
                    attestation, name);
        } catch (IOException | TaoException | RuntimeException e) {
            key.close();
            throw e;
        }
    }

    /** Unchecked pairing of a key and an attestation, for tests of what peers refuse. Takes the key. */
    static AttestedCredentials ofUnchecked(Signer key, Attestation attestation, Prin claimed) {
        Instant now = Instant.now();
        return new AttestedCredentials(key,
                SelfSignedCertificate.create(key, now.minus(Duration.ofMinutes(1)), now.plus(DEFAULT_LIFETIME)),
                attestation, claimed);
    }

    /** The program's name, as its attestation states it. */
    public Prin principal() {
        return principal;
    }

    /** {@code principal() says key(K) speaksfor principal()}, signed by its Tao. */
    public Attestation attestation() {
        return attestation;
    }

    /** The self-signed certificate of the TLS key. */
    public X509Certificate certificate() {
        return certificate;
    }

    Signer key() {
        return key;
    }

    /** Destroys the TLS key; channels made with it afterwards fail their handshakes. */
    @Override
    public void close() {
        key.close();
    }

    @Override
    public String toString() {
        return "AttestedCredentials[" + principal + "]";
    }
}
