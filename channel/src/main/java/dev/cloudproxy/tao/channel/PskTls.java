package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.auth.Prin;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Hashtable;
import java.util.Vector;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.tls.AbstractTlsClient;
import org.bouncycastle.tls.AbstractTlsServer;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.BasicTlsPSKExternal;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.PRFAlgorithm;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.PskKeyExchangeMode;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsExtensionsUtils;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.bouncycastle.tls.TlsPSK;
import org.bouncycastle.tls.TlsPSKExternal;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCrypto;
import org.bouncycastle.tls.crypto.TlsSecret;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCryptoProvider;

/**
 * The two TLS 1.3 peers of the PSK mode, on BouncyCastle's TLS API, and the mapping of its
 * failures to the channel's exception types.
 *
 * <p>Both peers allow exactly: TLS 1.3; the cipher suite {@code TLS_AES_128_GCM_SHA256}; the
 * groups x25519 and secp256r1; one external PSK, with the PSK key exchange mode
 * {@code psk_dhe_ke} and never {@code psk_ke}, so every session's keys also depend on a fresh
 * (EC)DHE secret (forward secrecy: the PSK alone does not decrypt a recorded session). Neither
 * takes part in certificate authentication: a server that does not select the PSK, or a client
 * that asks for certificates, ends the handshake.
 *
 * <p>The TLS PSK is not the group key itself but {@code HMAC-SHA256(groupKey, LABEL || identity)}:
 * a key for this use only, bound to the roles (who dials whom), so the group key can serve other
 * uses of the same pair without the two ever meeting.
 */
final class PskTls {
    private static final byte[] LABEL = "CloudProxy Tao PSK channel v1\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int[] SUITES = {CipherSuite.TLS_AES_128_GCM_SHA256};
    private static final int[] GROUPS = {NamedGroup.x25519, NamedGroup.secp256r1};
    private static final short[] MODES = {PskKeyExchangeMode.psk_dhe_ke};
    private static final SecureRandom RANDOM = new SecureRandom();

    private PskTls() {}

    /**
     * BouncyCastle's TLS over the JDK's JCA providers: the JDK's AES-GCM uses the processor's AES
     * instructions, about ten times as fast as BouncyCastle's own Java AES on 1 MiB messages
     * (ChannelCpuCost).
     */
    static TlsCrypto crypto() {
        return new JcaTlsCryptoProvider().create(RANDOM);
    }

    /** The TLS PSK for {@code identity} from the pair's group key; zeroes nothing it did not make. */
    static TlsSecret tlsKey(TlsCrypto crypto, byte[] groupKey, byte[] identity) {
        byte[] psk = null;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(groupKey, "HmacSHA256"));
            mac.update(LABEL);
            psk = mac.doFinal(identity);
            return crypto.createSecret(psk); // copies it
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no HMAC-SHA256", e);
        } finally {
            if (psk != null) {
                Arrays.fill(psk, (byte) 0);
            }
        }
    }

    private static Vector<Integer> groups() {
        Vector<Integer> v = new Vector<>();
        for (int g : GROUPS) {
            v.add(g);
        }
        return v;
    }

    /** Records why this side refused, so the failure can say it (BouncyCastle sends only an alert). */
    interface Refusals {
        void refuse(String reason);
    }

    /** The dialing side: offers one PSK, for exactly this identity. Not final: tests make clients that misbehave. */
    static class Client extends AbstractTlsClient {
        private final byte[] identity;
        private final TlsSecret key;
        private final int handshakeTimeoutMillis;
        String refusal;

        Client(TlsCrypto crypto, byte[] identity, TlsSecret key, int handshakeTimeoutMillis) {
            super(crypto);
            this.identity = identity.clone();
            this.key = key;
            this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.TLSv13.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return TlsUtils.getSupportedCipherSuites(getCrypto(), SUITES);
        }

        @Override
        @SuppressWarnings({"rawtypes", "unchecked"})
        protected Vector getSupportedGroups(Vector namedGroupRoles) {
            return groups();
        }

        @Override
        public short[] getPskKeyExchangeModes() {
            return MODES.clone();
        }

        @Override
        @SuppressWarnings({"rawtypes", "unchecked"})
        public Vector getExternalPSKs() {
            return TlsUtils.vectorOfOne(new BasicTlsPSKExternal(identity, key, PRFAlgorithm.tls13_hkdf_sha256));
        }

        @Override
        public void notifySelectedPSK(TlsPSK selectedPSK) throws IOException {
            if (selectedPSK == null) {
                refusal = "the server did not accept a pre-shared key";
                throw new TlsFatalAlert(AlertDescription.handshake_failure);
            }
        }

        @Override
        public TlsAuthentication getAuthentication() throws IOException {
            // Called only if the server authenticates with a certificate, which this mode never does.
            refusal = "the server asked to authenticate with a certificate, not the pre-shared key";
            throw new TlsFatalAlert(AlertDescription.handshake_failure);
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            checkDhe(context, this::refuse);
        }

        private void refuse(String reason) {
            refusal = reason;
        }

        @Override
        public int getHandshakeTimeoutMillis() {
            return handshakeTimeoutMillis;
        }
    }

    /** A client's identity accepted by the server: the client's name and the TLS PSK. */
    record Chosen(Prin client, TlsSecret key) {}

    /** Chooses the PSK for a client's identity, or refuses it; {@link PskChannels} decides. */
    @FunctionalInterface
    interface KeyChooser {
        /**
         * @return the client and the TLS PSK for its identity (after every check)
         * @throws PeerRefusedException if the identity or its client is refused
         */
        Chosen choose(TlsCrypto crypto, byte[] identity) throws PeerRefusedException;
    }

    /** The listening side: selects the PSK of the one identity a client offers, or refuses. */
    static final class Server extends AbstractTlsServer {
        private final KeyChooser chooser;
        private final int handshakeTimeoutMillis;
        /** Why this side refused, if it did. */
        String refusal;
        /** The client, once its identity was accepted. */
        Prin client;

        Server(TlsCrypto crypto, KeyChooser chooser, int handshakeTimeoutMillis) {
            super(crypto);
            this.chooser = chooser;
            this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.TLSv13.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return TlsUtils.getSupportedCipherSuites(getCrypto(), SUITES);
        }

        @Override
        public int[] getSupportedGroups() {
            return GROUPS.clone();
        }

        @Override
        @SuppressWarnings("rawtypes")
        public void processClientExtensions(Hashtable clientExtensions) throws IOException {
            super.processClientExtensions(clientExtensions);
            short[] modes = TlsExtensionsUtils.getPSKKeyExchangeModesExtension(clientExtensions);
            if (modes == null || Arrays.binarySearch(sorted(modes), PskKeyExchangeMode.psk_dhe_ke) < 0) {
                refusal = "the client does not offer the psk_dhe_ke key exchange (no forward secrecy)";
                throw new TlsFatalAlert(AlertDescription.handshake_failure);
            }
        }

        @Override
        @SuppressWarnings("rawtypes")
        public TlsPSKExternal getExternalPSK(Vector identities) throws IOException {
            if (identities.size() != 1) {
                refusal = "the client offered " + identities.size() + " PSK identities; a PSK channel takes exactly one";
                throw new TlsFatalAlert(AlertDescription.illegal_parameter);
            }
            org.bouncycastle.tls.PskIdentity offered = (org.bouncycastle.tls.PskIdentity) identities.get(0);
            if (offered.getObfuscatedTicketAge() != 0) {
                // RFC 8446 4.2.11: zero for external PSKs; anything else is a resumption ticket, not ours.
                refusal = "the client's PSK identity is a session ticket, not an external PSK";
                throw new TlsFatalAlert(AlertDescription.illegal_parameter);
            }
            byte[] id = offered.getIdentity();
            try {
                Chosen chosen = chooser.choose(getCrypto(), id);
                client = chosen.client();
                return new BasicTlsPSKExternal(id, chosen.key(), PRFAlgorithm.tls13_hkdf_sha256);
            } catch (PeerRefusedException e) {
                refusal = e.getMessage();
                throw new TlsFatalAlert(AlertDescription.access_denied);
            }
        }

        @Override
        public TlsCredentials getCredentials() throws IOException {
            // Called only when no PSK was selected: this mode has no certificates to fall back to.
            refusal = "the client offered no usable pre-shared key";
            throw new TlsFatalAlert(AlertDescription.handshake_failure);
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            checkDhe(context, reason -> refusal = reason);
        }

        @Override
        public int getHandshakeTimeoutMillis() {
            return handshakeTimeoutMillis;
        }
    }

    /**
     * Refuses a finished handshake whose keys did not come from an (EC)DHE exchange: a last check
     * that the PSK alone was not enough (BouncyCastle already negotiates only psk_dhe_ke here).
     */
    private static void checkDhe(TlsContext context, Refusals refusals) throws IOException {
        int group = context.getSecurityParametersConnection().getNegotiatedGroup();
        if (Arrays.stream(GROUPS).noneMatch(g -> g == group)) {
            refusals.refuse("the handshake used no (EC)DHE key exchange");
            throw new TlsFatalAlert(AlertDescription.handshake_failure);
        }
    }

    private static short[] sorted(short[] a) {
        short[] s = a.clone();
        Arrays.sort(s);
        return s;
    }

    /**
     * The channel's exception for a failed handshake: a refusal this side recorded, a key
     * mismatch (the server could not verify the PSK binder, or the client could not decrypt the
     * server's first encrypted message), a refusal by the peer (a TLS alert), or the transport's
     * own {@code IOException}.
     */
    static IOException failure(IOException e, String ownRefusal, boolean client) {
        if (ownRefusal != null) {
            return new PeerRefusedException(ownRefusal, e);
        }
        if (e instanceof TlsFatalAlert raised && raised.getCause() instanceof IOException io
                && !(io instanceof org.bouncycastle.tls.TlsException)) {
            return io; // the transport failed (a timeout, a reset): its own exception says more than the alert
        }
        String other = client ? "server" : "client";
        if (e instanceof TlsFatalAlertReceived received) {
            short alert = received.getAlertDescription();
            if (alert == AlertDescription.decrypt_error || alert == AlertDescription.bad_record_mac) {
                return new PskMismatchException("the " + other + " does not hold the same pre-shared key (TLS alert "
                        + AlertDescription.getText(alert) + ")", e);
            }
            return new PeerRefusedException("the " + other + " refused the channel (TLS alert "
                    + AlertDescription.getText(alert) + ")", e);
        }
        if (e instanceof TlsFatalAlert raised) {
            short alert = raised.getAlertDescription();
            if (alert == AlertDescription.decrypt_error || alert == AlertDescription.bad_record_mac) {
                return new PskMismatchException("the " + other + " does not hold the same pre-shared key", e);
            }
            return new PeerRefusedException("the TLS handshake with the " + other + " failed (TLS alert "
                    + AlertDescription.getText(alert) + ")", e);
        }
        return e;
    }
}
