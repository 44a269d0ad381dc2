package dev.cloudproxy.tao.domain;

import com.google.protobuf.ByteString;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.keys.Verifier;
import dev.cloudproxy.tao.proto.DomainServiceProtos;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceOp;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceRequest;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The program's side of the domain service protocol: sends an attestation for a key and returns
 * the program certificate, checked.
 *
 * <p>Guarantees: the connection is TLS 1.3 and the service is accepted only if its certificate
 * was issued by the key of the given policy certificate (checked with
 * {@link ProgramCertificate#verify}) and names {@link DomainServiceProtocol#servicePrincipal}, so
 * neither another domain nor a program of this domain can pose as the service. A certificate is
 * returned only if it verifies against the policy certificate now, certifies exactly the requested
 * key and names exactly the attestation's speaker. The host name or address is used only to
 * connect; identity comes from the verified certificate.
 *
 * <p><b>Replicas.</b> A client may know several addresses of the same domain's service (replicas
 * on one store, see docs/domain-service.md). Each call starts at the next address in turn (so load
 * spreads) and, when a service cannot be reached, fails in transport or answers {@code INTERNAL}
 * (it issued nothing), tries the next one, each at most once per call. An answer is final: a
 * refusal, a bad-request answer or a response that does not verify is never retried elsewhere,
 * so trying replicas never turns a "no" into a "yes". Every address is held to the same rule
 * (the same policy certificate and service principal), so failing over trusts no one new.
 *
 * <p>Thread-safe; each call opens its own connection. Copies made by {@code with...} share the
 * turn counter.
 */
public final class DomainServiceClient {
    /** Connect and read timeout when none is set. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private final List<InetSocketAddress> addresses;
    private final AtomicInteger turn;
    private final X509Certificate policyCertificate;
    private final Prin servicePrincipal;
    private final Duration timeout;
    private final Clock clock;

    private DomainServiceClient(List<InetSocketAddress> addresses, AtomicInteger turn,
            X509Certificate policyCertificate, Prin servicePrincipal, Duration timeout, Clock clock) {
        this.addresses = addresses;
        this.turn = turn;
        this.policyCertificate = policyCertificate;
        this.servicePrincipal = servicePrincipal;
        this.timeout = timeout;
        this.clock = clock;
    }

    /**
     * A client of the service at {@code address} of the domain whose policy certificate is given.
     *
     * @throws VerificationException if the policy certificate's key is not a P-256 key
     */
    public static DomainServiceClient create(InetSocketAddress address, X509Certificate policyCertificate)
            throws VerificationException {
        return create(List.of(Objects.requireNonNull(address, "address")), policyCertificate);
    }

    /**
     * A client of the service replicas at {@code addresses} (at least one, no repeats) of the
     * domain whose policy certificate is given; see the class comment for how it fails over.
     *
     * @throws VerificationException if the policy certificate's key is not a P-256 key
     */
    public static DomainServiceClient create(List<InetSocketAddress> addresses, X509Certificate policyCertificate)
            throws VerificationException {
        List<InetSocketAddress> copy = List.copyOf(addresses);
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("at least one domain service address is needed");
        }
        if (new HashSet<>(copy).size() != copy.size()) {
            throw new IllegalArgumentException("a domain service address is given twice: " + copy);
        }
        Objects.requireNonNull(policyCertificate, "policyCertificate");
        Verifier policyKey = Verifier.fromPkix(policyCertificate.getPublicKey().getEncoded());
        return new DomainServiceClient(copy, new AtomicInteger(), policyCertificate,
                DomainServiceProtocol.servicePrincipal(policyKey.principal()), DEFAULT_TIMEOUT, Clock.systemUTC());
    }

    /**
     * Parses {@code HOST:PORT[,HOST:PORT...]} ({@code [IPV6]:PORT} for IPv6 addresses), as the
     * options that name domain service replicas take. Host names are resolved at each connect.
     *
     * @throws IllegalArgumentException if an element is not {@code HOST:PORT} or the list is empty
     */
    public static List<InetSocketAddress> parseAddresses(String text) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            String t = part.strip();
            int colon = t.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("expected HOST:PORT, got '" + t + "'");
            }
            String host = t.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(t.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a port number in '" + t + "'");
            }
            if (host.isEmpty() || port < 1 || port > 65535) {
                throw new IllegalArgumentException("expected HOST:PORT with a port in 1..65535, got '" + t + "'");
            }
            out.add(InetSocketAddress.createUnresolved(host, port));
        }
        return out;
    }

    /** The same client with another connect and read timeout. */
    public DomainServiceClient withTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("timeout must be positive and at most " + Integer.MAX_VALUE + " ms");
        }
        return new DomainServiceClient(addresses, turn, policyCertificate, servicePrincipal, timeout, clock);
    }

    /** The same client checking certificates against {@code clock} (tests). */
    public DomainServiceClient withClock(Clock clock) {
        return new DomainServiceClient(addresses, turn, policyCertificate, servicePrincipal, timeout,
                Objects.requireNonNull(clock, "clock"));
    }

    /** The service's (first) address. */
    public InetSocketAddress address() {
        return addresses.get(0);
    }

    /** Every address the client tries, in the order given. */
    public List<InetSocketAddress> addresses() {
        return addresses;
    }

    /** Asks for a program certificate without host certificates; see {@link #certify(Attestation, Verifier, List)}. */
    public X509Certificate certify(Attestation attestation, Verifier programKey) throws IOException, TaoException {
        return certify(attestation, programKey, List.of());
    }

    /**
     * Sends {@code attestation} ("P says key(K) speaksfor P", K being {@code programKey}) and the
     * host certificates, and returns the program certificate the service issued.
     *
     * @throws CertificateRefusedException if the service refused, with its reason
     * @throws VerificationException if the service's answer does not check out
     * @throws IOException if the service cannot be reached, fails, or breaks the protocol
     */
    public X509Certificate certify(Attestation attestation, Verifier programKey, List<X509Certificate> hostCertificates)
            throws IOException, TaoException {
        Objects.requireNonNull(attestation, "attestation");
        Objects.requireNonNull(programKey, "programKey");
        DomainServiceRequest.Builder request = DomainServiceRequest.newBuilder()
                .setOp(DomainServiceOp.DOMAIN_SERVICE_CERTIFY)
                .setAttestation(ByteString.copyFrom(attestation.serialize()))
                .setProgramKey(ByteString.copyFrom(programKey.pkix()));
        for (X509Certificate c : hostCertificates) {
            try {
                request.addHostCertificates(ByteString.copyFrom(c.getEncoded()));
            } catch (CertificateEncodingException e) {
                throw new IllegalArgumentException("a host certificate does not encode", e);
            }
        }
        return checked(call(request.build()), attestation.issuer(), programKey);
    }

    /**
     * The certificate of an {@code OK} answer, if it verifies against the policy certificate now,
     * names exactly {@code expected} and certifies exactly {@code key}.
     */
    private X509Certificate checked(DomainServiceResponse response, Prin expected, Verifier key)
            throws IOException, VerificationException {
        if (!response.hasProgramCertificate()) {
            throw new IOException("the domain service answered without a certificate");
        }
        X509Certificate cert;
        try {
            cert = ProgramCertificate.parseDer(response.getProgramCertificate().toByteArray());
        } catch (CertificateException e) {
            throw new VerificationException("the domain service sent a certificate that does not parse", e);
        }
        if (response.hasPolicyCertificate()
                && !Arrays.equals(response.getPolicyCertificate().toByteArray(), encoded(policyCertificate))) {
            throw new VerificationException("the domain service sent another policy certificate than this domain's");
        }
        Prin named;
        try {
            named = ProgramCertificate.verify(cert, policyCertificate, clock.instant());
        } catch (RuntimeException e) {
            // The JDK's and BouncyCastle's certificate parsers throw unchecked exceptions on some
            // malformed DER; a hostile service must not turn that into a crash of the program.
            throw new VerificationException("the domain service sent a malformed certificate", e);
        }
        if (!named.equals(expected)) {
            throw new VerificationException("the certificate names " + named + ", not " + expected);
        }
        if (!Arrays.equals(cert.getPublicKey().getEncoded(), key.pkix())) {
            throw new VerificationException("the certificate is for another key than the one sent");
        }
        return cert;
    }

    /**
     * Enrols a TPM-rooted host ({@link Enrollment}): sends {@code request}, lets {@code responder}
     * answer the service's challenge with the TPM, and returns the host certificate the service
     * issued, on one connection. Returned only if it verifies against the policy certificate now,
     * names exactly the speaker of the responder's quote and certifies exactly the host key sent.
     * When a replica fails in transport the enrolment starts over at the next one, with a new
     * challenge (the responder is then called again).
     *
     * @throws CertificateRefusedException if the service refused, with its reason
     * @throws VerificationException if the service's answer does not check out
     * @throws IOException if the service cannot be reached, fails, or breaks the protocol
     */
    public X509Certificate enroll(Enrollment.Request request, Enrollment.Responder responder)
            throws IOException, TaoException {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(responder, "responder");
        DomainServiceProtos.EnrollBegin.Builder begin = DomainServiceProtos.EnrollBegin.newBuilder()
                .setEkPublic(ByteString.copyFrom(request.ekPublicArea()))
                .setAkPublic(ByteString.copyFrom(request.akPublicArea()))
                .setHostKey(ByteString.copyFrom(request.hostKey().pkix()));
        request.ekCertificates().forEach(c -> begin.addEkCertificates(ByteString.copyFrom(c)));
        DomainServiceRequest first = DomainServiceRequest.newBuilder()
                .setOp(DomainServiceOp.DOMAIN_SERVICE_ENROLL_BEGIN).setEnrollBegin(begin).build();
        return converse((in, out) -> {
            DomainServiceResponse challenged = exchange(in, out, first);
            if (!challenged.hasEnrollChallenge()) {
                throw new IOException("the domain service answered the enrolment without a challenge");
            }
            DomainServiceProtos.EnrollChallenge c = challenged.getEnrollChallenge();
            Enrollment.Answer answer = responder.answer(new Enrollment.Challenge(c.getNonce().toByteArray(),
                    c.getIntegrityHmac().toByteArray(), c.getEncIdentity().toByteArray(),
                    c.getEncryptedSecret().toByteArray()));
            byte[] credential = answer.credential();
            DomainServiceResponse issued;
            try {
                issued = exchange(in, out, DomainServiceRequest.newBuilder()
                        .setOp(DomainServiceOp.DOMAIN_SERVICE_ENROLL_FINISH)
                        .setEnrollFinish(DomainServiceProtos.EnrollFinish.newBuilder()
                                .setCredential(ByteString.copyFrom(credential))
                                .setAttestation(ByteString.copyFrom(answer.attestation().serialize())))
                        .build());
            } finally {
                Arrays.fill(credential, (byte) 0);
                answer.destroy();
            }
            return checked(issued, answer.attestation().issuer(), request.hostKey());
        });
    }

    /**
     * The service's current certificate revocation list, verified with {@link RevocationList#verify}.
     *
     * @throws VerificationException if the list is not signed by the policy key or is stale
     * @throws IOException if the service cannot be reached or breaks the protocol
     */
    public X509CRL fetchCrl() throws IOException, TaoException {
        return RevocationList.verify(fetchCrlDer(), policyCertificate, clock.instant());
    }

    /**
     * The service's current CRL as it sent it (DER, at most {@link RevocationList#MAX_BYTES}),
     * <em>not verified</em>: for callers that verify it themselves with {@link RevocationList}
     * and judge its dates by their own rules (the channel module's revocation checker does).
     *
     * @throws IOException if the service cannot be reached, fails, or breaks the protocol
     * @throws TaoException if the service's own certificate does not verify
     */
    public byte[] fetchCrlDer() throws IOException, TaoException {
        DomainServiceResponse response = call(DomainServiceRequest.newBuilder()
                .setOp(DomainServiceOp.DOMAIN_SERVICE_GET_CRL).build());
        if (!response.hasCrl()) {
            throw new IOException("the domain service answered without a CRL");
        }
        return response.getCrl().toByteArray();
    }

    /**
     * Sends {@code request} to one replica after another, starting at the next in turn, until one
     * answers; see the class comment for what is retried.
     */
    private DomainServiceResponse call(DomainServiceRequest request) throws IOException, TaoException {
        return converse((in, out) -> exchange(in, out, request));
    }

    /** One conversation on one connection: the requests it sends and what it makes of the answers. */
    @FunctionalInterface
    private interface Conversation<T> {
        T run(InputStream in, OutputStream out) throws IOException, TaoException;
    }

    /**
     * Runs {@code conversation} on a connection to each address in turn until one answers; see
     * the class comment for what is retried.
     */
    private <T> T converse(Conversation<T> conversation) throws IOException, TaoException {
        int n = addresses.size();
        int first = Math.floorMod(turn.getAndIncrement(), n);
        List<IOException> failures = new ArrayList<>();
        StringBuilder where = new StringBuilder("no domain service replica answered");
        for (int i = 0; i < n; i++) {
            InetSocketAddress address = addresses.get((first + i) % n);
            try {
                return converse(address, conversation);
            } catch (AnsweredException e) {
                throw e;
            } catch (IOException e) {
                // Unreachable, cut off (a frame that ends early), timed out, or INTERNAL: try the next one.
                failures.add(e);
                where.append(failures.size() == 1 ? ": " : "; ").append(address.getHostString()).append(':')
                        .append(address.getPort()).append(": ").append(e.getMessage());
            }
        }
        if (n == 1) {
            throw failures.get(0);
        }
        IOException failed = new IOException(where.toString());
        failures.forEach(failed::addSuppressed);
        throw failed;
    }

    /** The service read the request and rejected it as malformed: another replica would too. */
    private static final class AnsweredException extends IOException {
        private static final long serialVersionUID = 1L;

        AnsweredException(String message) {
            super(message);
        }
    }

    private <T> T converse(InetSocketAddress address, Conversation<T> conversation)
            throws IOException, TaoException {
        int millis = (int) timeout.toMillis();
        try (Socket raw = new Socket()) {
            raw.setTcpNoDelay(true);
            raw.connect(address.isUnresolved() ? new InetSocketAddress(address.getHostString(), address.getPort())
                    : address, millis);
            raw.setSoTimeout(millis);
            try (SSLSocket tls = (SSLSocket) tlsContext().getSocketFactory()
                    .createSocket(raw, address.getHostString(), address.getPort(), true)) {
                tls.setEnabledProtocols(new String[] {"TLSv1.3"});
                tls.startHandshake();
                return conversation.run(tls.getInputStream(), tls.getOutputStream());
            }
        }
    }

    /** Sends one request and reads its answer, which must be {@code OK}. */
    private static DomainServiceResponse exchange(InputStream in, OutputStream out, DomainServiceRequest request)
            throws IOException, TaoException {
        DomainServiceProtocol.writeFrame(out, request.toByteArray(), DomainServiceProtocol.MAX_REQUEST_BYTES);
        byte[] frame = DomainServiceProtocol.readFrame(in, DomainServiceProtocol.MAX_RESPONSE_BYTES);
        if (frame == null) {
            throw new IOException("the domain service closed the connection without answering");
        }
        DomainServiceResponse response = DomainServiceProtocol.parseResponse(frame);
        String reason = DomainServiceProtocol.oneLine(response.getReason());
        switch (response.getStatus()) {
            case DOMAIN_SERVICE_OK -> {
                return response;
            }
            case DOMAIN_SERVICE_REFUSED -> throw new CertificateRefusedException(reason);
            case DOMAIN_SERVICE_BAD_REQUEST -> throw new AnsweredException(
                    "the domain service could not read the request: " + reason);
            case DOMAIN_SERVICE_INTERNAL -> throw new IOException("the domain service failed: " + reason);
        }
        throw new IOException("the domain service answered with an unknown status");
    }

    private SSLContext tlsContext() throws IOException {
        try {
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(null, new TrustManager[] {new ServiceTrustManager()}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS 1.3 is not available", e);
        }
    }

    private static byte[] encoded(X509Certificate cert) throws VerificationException {
        try {
            return cert.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new VerificationException("the policy certificate does not encode", e);
        }
    }

    @Override
    public String toString() {
        return "DomainServiceClient[" + addresses + ", " + servicePrincipal + "]";
    }

    /** Accepts exactly the service's certificate from this domain; never a client. */
    private final class ServiceTrustManager extends X509ExtendedTrustManager {
        private void checkService(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("the domain service sent no certificate");
            }
            Prin named;
            try {
                named = ProgramCertificate.verify(chain[0], policyCertificate, clock.instant());
            } catch (VerificationException e) {
                throw new CertificateException("the domain service's certificate does not verify: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw new CertificateException("the domain service's certificate is malformed", e);
            }
            if (!named.equals(servicePrincipal)) {
                throw new CertificateException("the peer's certificate names " + named + ", not the domain service "
                        + servicePrincipal);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            checkService(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            checkService(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            checkService(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a domain service client trusts no clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("a domain service client trusts no clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("a domain service client trusts no clients");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[] {policyCertificate};
        }
    }
}
