package dev.cloudproxy.tao.domain;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.ExtensionRegistryLite;
import com.google.protobuf.Message;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.guard.RuleSetGuard;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceOp;
import dev.cloudproxy.tao.proto.DomainServiceProtos.EnrollBegin;
import dev.cloudproxy.tao.proto.DomainServiceProtos.EnrollChallenge;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceRequest;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceResponse;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * What both ends of the domain service protocol share ({@code domain_service.proto}, and
 * docs/domain-service.md): bounded length-prefixed frames, strict parsing of both messages, and
 * the principal the service's TLS certificate must name.
 *
 * <p>A frame is a 4-byte big-endian length and that many bytes of protobuf. Requests are at most
 * {@link #MAX_REQUEST_BYTES} (one maximal attestation plus host certificates), responses at most
 * {@link #MAX_RESPONSE_BYTES} (room for a large CRL). The reader grows its buffer only as bytes
 * arrive, so a peer that announces a large frame and sends nothing reserves nothing.
 */
public final class DomainServiceProtocol {
    /** Largest request frame: a maximal attestation and {@link #MAX_HOST_CERTIFICATES} certificates. */
    public static final int MAX_REQUEST_BYTES = (1 << 20) + (512 << 10);
    /** Largest response frame. */
    public static final int MAX_RESPONSE_BYTES = 8 << 20;
    /** Most host certificates in one request. */
    public static final int MAX_HOST_CERTIFICATES = 4;
    /** Largest DER certificate in a request or response. */
    public static final int MAX_CERTIFICATE_BYTES = 64 << 10;
    /**
     * Longest reason carried on the wire; longer ones are cut. Room for a launched program's name
     * (a host name and four 32-byte parts, about 450 characters) and the facts it lacks
     * ({@link LaunchedAppHints}), each named in full.
     */
    public static final int MAX_REASON_CHARS = 2_000;
    /** EK certificates in an enrolment: the EK's own and up to three intermediate CAs. */
    public static final int MAX_EK_CERTIFICATES = 4;
    /** A TPM public area ({@code TPMT_PUBLIC}, an RSA-2048 one is about 300 bytes), key or credential in an enrolment. */
    public static final int MAX_TPM_AREA_BYTES = 1024;
    /** The extension naming the service under the policy key: {@code key([policy]).DomainService()}. */
    public static final String SERVICE_EXTENSION = "DomainService";
    /** The name of the extension {@link #policyKeyExtension} makes. */
    public static final String POLICY_KEY_EXTENSION = "PolicyKey";
    /** The default port, as CloudProxy's domain service. */
    public static final int DEFAULT_PORT = 8124;
    /**
     * Requests the service answers on one connection before it closes it (a client that keeps
     * connections open, {@link DomainServiceClient#withKeptConnections}, opens a new one then).
     */
    public static final int MAX_REQUESTS_PER_CONNECTION = 64;

    private static final int HEADER_BYTES = 4;
    private static final int FIRST_CHUNK = 64 << 10;

    private DomainServiceProtocol() {}

    /**
     * The principal a domain service's TLS certificate names: the policy key's principal extended
     * with {@code DomainService()}. Only the policy key issues it (the service refuses every
     * request for a name under the policy key), so a program certificate of the same domain cannot
     * stand in for the service.
     */
    public static Prin servicePrincipal(Prin policyPrincipal) {
        return Objects.requireNonNull(policyPrincipal, "policyPrincipal").extend(PrinExt.of(SERVICE_EXTENSION));
    }

    /**
     * The extension a program appends to its name to say which domain it works in (the Tao
     * paradigm does): {@code PolicyKey([h])}, {@code h} being the SHA-256 of the policy key's PKIX
     * encoding, the same hash as in the policy principal {@code key([h])}. The service asks the
     * guard about the name without it (docs/domain-service.md).
     */
    public static PrinExt policyKeyExtension(Prin policyPrincipal) {
        Objects.requireNonNull(policyPrincipal, "policyPrincipal");
        if (!policyPrincipal.ext().isEmpty()) {
            throw new IllegalArgumentException("a policy principal is a bare key principal");
        }
        return PrinExt.of(POLICY_KEY_EXTENSION, policyPrincipal.key());
    }

    /**
     * Reads one frame of at most {@code max} bytes.
     *
     * @return the payload, or null if the stream ended cleanly before a new frame began
     * @throws FrameException if the length is out of range or the frame is cut short
     * @throws IOException if the stream fails (including a read timeout)
     */
    public static byte[] readFrame(InputStream in, int max) throws IOException {
        byte[] header = new byte[HEADER_BYTES];
        int got = in.readNBytes(header, 0, HEADER_BYTES);
        if (got == 0) {
            return null;
        }
        if (got < HEADER_BYTES) {
            throw new FrameException("connection ended inside a frame header");
        }
        int length = ByteBuffer.wrap(header).getInt();
        if (length < 0 || length > max) {
            throw new FrameException("frame length " + Integer.toUnsignedString(length) + " is out of range 0.." + max);
        }
        byte[] payload = new byte[Math.min(length, FIRST_CHUNK)];
        int filled = 0;
        while (filled < length) {
            if (filled == payload.length) {
                payload = Arrays.copyOf(payload, (int) Math.min(length, 2L * payload.length));
            }
            int n = in.read(payload, filled, payload.length - filled);
            if (n < 0) {
                throw new FrameException("connection ended inside a frame (" + filled + " of " + length + " bytes)");
            }
            filled += n;
        }
        return payload;
    }

    /** Writes one frame and flushes. */
    public static void writeFrame(OutputStream out, byte[] payload, int max) throws IOException {
        if (payload.length > max) {
            throw new IllegalArgumentException("frame of " + payload.length + " bytes exceeds " + max);
        }
        byte[] frame = ByteBuffer.allocate(HEADER_BYTES + payload.length).putInt(payload.length).put(payload).array();
        out.write(frame);
        out.flush();
    }

    /**
     * Parses a request frame strictly: unknown fields and unknown operations are refused, so a
     * request never means less to the service than to its sender, and every size is bounded.
     *
     * @throws FrameException if it is not such a request
     */
    public static DomainServiceRequest parseRequest(byte[] frame) throws FrameException {
        if (frame.length > MAX_REQUEST_BYTES) {
            throw new FrameException("request larger than " + MAX_REQUEST_BYTES + " bytes");
        }
        DomainServiceRequest r = parse(frame, DomainServiceRequest.getDefaultInstance(), "request");
        if (!r.hasOp() || r.getOp() == DomainServiceOp.DOMAIN_SERVICE_OP_UNKNOWN) {
            throw new FrameException("request has no known operation");
        }
        if (r.getHostCertificatesCount() > MAX_HOST_CERTIFICATES) {
            throw new FrameException("request has more than " + MAX_HOST_CERTIFICATES + " host certificates");
        }
        for (var c : r.getHostCertificatesList()) {
            if (c.size() > MAX_CERTIFICATE_BYTES) {
                throw new FrameException("a host certificate larger than " + MAX_CERTIFICATE_BYTES + " bytes");
            }
        }
        boolean enrolment = r.getOp() == DomainServiceOp.DOMAIN_SERVICE_ENROLL_BEGIN
                || r.getOp() == DomainServiceOp.DOMAIN_SERVICE_ENROLL_FINISH;
        if (r.hasEnrollBegin() && r.getOp() != DomainServiceOp.DOMAIN_SERVICE_ENROLL_BEGIN
                || r.hasEnrollFinish() && r.getOp() != DomainServiceOp.DOMAIN_SERVICE_ENROLL_FINISH
                || enrolment && (r.hasAttestation() || r.hasProgramKey() || r.getHostCertificatesCount() > 0)) {
            throw new FrameException("request carries a field that does not belong to its operation");
        }
        switch (r.getOp()) {
            case DOMAIN_SERVICE_CERTIFY -> {
                if (!r.hasAttestation() || !r.hasProgramKey()) {
                    throw new FrameException("a certify request needs attestation and program_key");
                }
            }
            case DOMAIN_SERVICE_GET_CRL, DOMAIN_SERVICE_GET_POLICY -> {
                if (r.hasAttestation() || r.hasProgramKey() || r.getHostCertificatesCount() > 0) {
                    throw new FrameException("a CRL or policy request carries no other field");
                }
            }
            case DOMAIN_SERVICE_ENROLL_BEGIN -> {
                if (!r.hasEnrollBegin()) {
                    throw new FrameException("an enrolment begins with enroll_begin");
                }
                checkEnrollBegin(r.getEnrollBegin());
            }
            case DOMAIN_SERVICE_ENROLL_FINISH -> {
                if (!r.hasEnrollFinish() || !r.getEnrollFinish().hasCredential() || !r.getEnrollFinish().hasAttestation()) {
                    throw new FrameException("an enrolment finishes with enroll_finish: credential and attestation");
                }
                if (r.getEnrollFinish().getCredential().size() > MAX_TPM_AREA_BYTES) {
                    throw new FrameException("the credential is larger than " + MAX_TPM_AREA_BYTES + " bytes");
                }
            }
            case DOMAIN_SERVICE_OP_UNKNOWN -> throw new FrameException("request has no known operation");
        }
        return r;
    }

    private static void checkEnrollBegin(EnrollBegin b) throws FrameException {
        if (b.getEkCertificatesCount() < 1 || b.getEkCertificatesCount() > MAX_EK_CERTIFICATES
                || !b.hasEkPublic() || !b.hasAkPublic() || !b.hasHostKey()) {
            throw new FrameException("enroll_begin needs 1 to " + MAX_EK_CERTIFICATES
                    + " EK certificates, ek_public, ak_public and host_key");
        }
        for (var c : b.getEkCertificatesList()) {
            if (c.size() > MAX_CERTIFICATE_BYTES) {
                throw new FrameException("an EK certificate larger than " + MAX_CERTIFICATE_BYTES + " bytes");
            }
        }
        if (b.getEkPublic().size() > MAX_TPM_AREA_BYTES || b.getAkPublic().size() > MAX_TPM_AREA_BYTES
                || b.getHostKey().size() > MAX_TPM_AREA_BYTES) {
            throw new FrameException("a public area or key larger than " + MAX_TPM_AREA_BYTES + " bytes");
        }
    }

    /**
     * Parses a response frame strictly (unknown fields, including unknown statuses, are refused;
     * a CRL is at most {@link RevocationList#MAX_BYTES}, a certificate at most
     * {@link #MAX_CERTIFICATE_BYTES}).
     *
     * @throws FrameException if it is not a well-formed response
     */
    public static DomainServiceResponse parseResponse(byte[] frame) throws FrameException {
        if (frame.length > MAX_RESPONSE_BYTES) {
            throw new FrameException("response larger than " + MAX_RESPONSE_BYTES + " bytes");
        }
        DomainServiceResponse r = parse(frame, DomainServiceResponse.getDefaultInstance(), "response");
        if (!r.hasStatus()) {
            throw new FrameException("response has no status");
        }
        if (r.getCrl().size() > RevocationList.MAX_BYTES) {
            throw new FrameException("a CRL larger than " + RevocationList.MAX_BYTES + " bytes");
        }
        if (r.getPolicyRules().size() > RuleSetGuard.maxFileSize()) {
            throw new FrameException("a rule file larger than " + RuleSetGuard.maxFileSize() + " bytes");
        }
        if (r.getProgramCertificate().size() > MAX_CERTIFICATE_BYTES
                || r.getPolicyCertificate().size() > MAX_CERTIFICATE_BYTES) {
            throw new FrameException("a certificate larger than " + MAX_CERTIFICATE_BYTES + " bytes");
        }
        EnrollChallenge c = r.getEnrollChallenge();
        if (c.getNonce().size() > MAX_TPM_AREA_BYTES || c.getIntegrityHmac().size() > MAX_TPM_AREA_BYTES
                || c.getEncIdentity().size() > MAX_TPM_AREA_BYTES || c.getEncryptedSecret().size() > MAX_TPM_AREA_BYTES) {
            throw new FrameException("an enrolment challenge field larger than " + MAX_TPM_AREA_BYTES + " bytes");
        }
        return r;
    }

    @SuppressWarnings("unchecked")
    private static <M extends Message> M parse(byte[] frame, M prototype, String what) throws FrameException {
        M m;
        try {
            CodedInputStream in = CodedInputStream.newInstance(frame);
            in.setRecursionLimit(4);
            m = (M) prototype.getParserForType().parseFrom(in, ExtensionRegistryLite.getEmptyRegistry());
        } catch (IOException e) {
            throw new FrameException("malformed " + what + " frame");
        }
        if (!m.getUnknownFields().asMap().isEmpty()) {
            throw new FrameException(what + " frame has unknown fields");
        }
        return m;
    }

    /** A response with {@code status} (not OK) and a reason. */
    public static DomainServiceResponse failure(DomainServiceStatus status, String reason) {
        if (status == DomainServiceStatus.DOMAIN_SERVICE_OK) {
            throw new IllegalArgumentException("a failure needs a failing status");
        }
        return DomainServiceResponse.newBuilder().setStatus(status).setReason(oneLine(reason)).build();
    }

    /** {@code s} as one printable line of at most {@link #MAX_REASON_CHARS} characters. */
    public static String oneLine(String s) {
        if (s == null || s.isEmpty()) {
            return "(no reason given)";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_REASON_CHARS));
        for (int i = 0; i < s.length() && b.length() < MAX_REASON_CHARS; i++) {
            char c = s.charAt(i);
            b.append(Character.isISOControl(c) ? ' ' : c);
        }
        return b.toString();
    }

    /**
     * A frame or message on a domain service connection could not be read. The connection is no
     * longer in step and is closed; other connections are unaffected.
     */
    public static final class FrameException extends IOException {
        private static final long serialVersionUID = 1L;

        public FrameException(String message) {
            super(message);
        }
    }
}
