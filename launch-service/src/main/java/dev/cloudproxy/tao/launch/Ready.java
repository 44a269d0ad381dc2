package dev.cloudproxy.tao.launch;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.attestation.AttestationVerifier;
import dev.cloudproxy.tao.attestation.VerifiedStatement;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.host.Host;
import dev.cloudproxy.tao.keys.Verifier;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * An interactive program's ready line ({@link LaunchService#READY}), parsed: the port it listens
 * on, its attestation and the key it names. {@link #check} decides whether the host itself
 * attested that key for that program.
 */
record Ready(int port, byte[] attestation, byte[] key) {
    static Ready parse(String line) throws VerificationException {
        String[] f = line.split(" ", -1);
        if (f.length != 4 || !f[0].equals(LaunchService.READY)) {
            throw new VerificationException("expected '" + LaunchService.READY + " PORT ATTESTATION KEY'");
        }
        try {
            int port = Integer.parseInt(f[1]);
            if (port < 1 || port > 65535) {
                throw new VerificationException("not a port: " + f[1]);
            }
            return new Ready(port, HexFormat.of().parseHex(f[2]), HexFormat.of().parseHex(f[3]));
        } catch (NumberFormatException e) {
            throw new VerificationException("not a port");
        } catch (IllegalArgumentException e) {
            throw new VerificationException("not hex");
        }
    }

    /**
     * Checks that this host signed {@code P says key(K) speaksfor P} for the program it started
     * as {@code started} (P is that name or an extension the program made), with K the announced
     * key; returns P.
     */
    Prin check(Host host, Prin started) throws VerificationException {
        Attestation a = Attestation.parse(attestation);
        VerifiedStatement v = AttestationVerifier.create().verify(a);
        if (!Arrays.equals(a.signerKey().pkix(), host.tlsSigner().verifier().pkix())) {
            throw new VerificationException("the attestation is not this host's");
        }
        Prin speaker = v.speaker();
        if (!speaker.isIdenticalOrExtensionOf(started)) {
            throw new VerificationException("the attestation speaks for " + speaker + ", not for the program started");
        }
        Verifier k = Verifier.fromPkix(key);
        if (v.delegation().isEmpty() || !(v.statement().message() instanceof Speaksfor sf)
                || !sf.delegate().equals(k.principal()) || !sf.delegator().equals(speaker)) {
            throw new VerificationException("the attestation does not say key(K) speaksfor the program");
        }
        return speaker;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Ready r && port == r.port && Arrays.equals(attestation, r.attestation)
                && Arrays.equals(key, r.key);
    }

    @Override
    public int hashCode() {
        return port * 31 + Arrays.hashCode(key);
    }

    @Override
    public String toString() {
        return "Ready[port " + port + "]";
    }
}
