package dev.cloudproxy.tao.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.domain.DomainServiceProtocol.FrameException;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceOp;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceRequest;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceResponse;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceStatus;
import dev.cloudproxy.tao.proto.DomainServiceProtos.EnrollBegin;
import dev.cloudproxy.tao.proto.DomainServiceProtos.EnrollFinish;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DomainServiceProtocolTest {
    private static final int MAX = DomainServiceProtocol.MAX_REQUEST_BYTES;

    private static DomainServiceRequest certify() {
        return DomainServiceRequest.newBuilder().setOp(DomainServiceOp.DOMAIN_SERVICE_CERTIFY)
                .setAttestation(ByteString.copyFromUtf8("a")).setProgramKey(ByteString.copyFromUtf8("k")).build();
    }

    private static byte[] framed(byte[] payload) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DomainServiceProtocol.writeFrame(out, payload, MAX);
        return out.toByteArray();
    }

    @Test
    void frame_writeThenRead_roundTrips() throws Exception {
        byte[] payload = certify().toByteArray();
        InputStream in = new ByteArrayInputStream(framed(payload));

        assertThat(DomainServiceProtocol.readFrame(in, MAX)).isEqualTo(payload);
        assertThat(DomainServiceProtocol.readFrame(in, MAX)).isNull();
    }

    @Test
    void frame_truncatedHeaderOrPayload_throws() throws Exception {
        byte[] whole = framed(new byte[100]);
        for (int cut : new int[] {1, 3, 4, 50, whole.length - 1}) {
            InputStream in = new ByteArrayInputStream(Arrays.copyOf(whole, cut));
            assertThrows(FrameException.class, () -> DomainServiceProtocol.readFrame(in, MAX), "cut at " + cut);
        }
    }

    @Test
    void frame_oversizedOrNegativeLength_throwsWithoutAllocatingIt() {
        for (int length : new int[] {MAX + 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
            InputStream in = new ByteArrayInputStream(ByteBuffer.allocate(4).putInt(length).array());
            FrameException e = assertThrows(FrameException.class, () -> DomainServiceProtocol.readFrame(in, MAX));
            assertThat(e).hasMessageContaining("out of range");
        }
        assertThrows(IllegalArgumentException.class,
                () -> DomainServiceProtocol.writeFrame(new ByteArrayOutputStream(), new byte[11], 10));
    }

    @Test
    void parseRequest_wellFormed_returnsIt() throws Exception {
        assertThat(DomainServiceProtocol.parseRequest(certify().toByteArray())).isEqualTo(certify());
        DomainServiceRequest crl = DomainServiceRequest.newBuilder().setOp(DomainServiceOp.DOMAIN_SERVICE_GET_CRL).build();
        assertThat(DomainServiceProtocol.parseRequest(crl.toByteArray())).isEqualTo(crl);
    }

    @Test
    void parseRequest_malformed_throwsFrameException() {
        byte[] unknownField = ByteBuffer.allocate(certify().getSerializedSize() + 3).put(certify().toByteArray())
                .put(new byte[] {(byte) 0x78, 0x01, 0x00}).array(); // field 15 varint 1, then a stray byte
        byte[] unknownOp = {0x08, 0x07};
        DomainServiceRequest.Builder tooMany = certify().toBuilder();
        for (int i = 0; i <= DomainServiceProtocol.MAX_HOST_CERTIFICATES; i++) {
            tooMany.addHostCertificates(ByteString.copyFromUtf8("c"));
        }
        byte[][] bad = {
            "garbage".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
            new byte[0],
            unknownField,
            Arrays.copyOf(certify().toByteArray(), certify().getSerializedSize() - 1),
            unknownOp,
            tooMany.build().toByteArray(),
            certify().toBuilder().clearProgramKey().build().toByteArray(),
            certify().toBuilder().setOp(DomainServiceOp.DOMAIN_SERVICE_GET_CRL).build().toByteArray(),
            certify().toBuilder().addHostCertificates(ByteString.copyFrom(
                    new byte[DomainServiceProtocol.MAX_CERTIFICATE_BYTES + 1])).build().toByteArray(),
        };
        for (byte[] b : bad) {
            assertThrows(FrameException.class, () -> DomainServiceProtocol.parseRequest(b), Arrays.toString(
                    Arrays.copyOf(b, Math.min(b.length, 16))));
        }
    }

    private static DomainServiceRequest enrollBegin() {
        return DomainServiceRequest.newBuilder().setOp(DomainServiceOp.DOMAIN_SERVICE_ENROLL_BEGIN)
                .setEnrollBegin(EnrollBegin.newBuilder().addEkCertificates(ByteString.copyFromUtf8("ek"))
                        .setEkPublic(ByteString.copyFromUtf8("e")).setAkPublic(ByteString.copyFromUtf8("a"))
                        .setHostKey(ByteString.copyFromUtf8("h")))
                .build();
    }

    private static DomainServiceRequest enrollFinish() {
        return DomainServiceRequest.newBuilder().setOp(DomainServiceOp.DOMAIN_SERVICE_ENROLL_FINISH)
                .setEnrollFinish(EnrollFinish.newBuilder().setCredential(ByteString.copyFromUtf8("c"))
                        .setAttestation(ByteString.copyFromUtf8("q")))
                .build();
    }

    @Test
    void parseRequest_enrolment_wellFormedIsReturned_missingMisplacedOrOversizedFieldsThrow() throws Exception {
        assertThat(DomainServiceProtocol.parseRequest(enrollBegin().toByteArray())).isEqualTo(enrollBegin());
        assertThat(DomainServiceProtocol.parseRequest(enrollFinish().toByteArray())).isEqualTo(enrollFinish());
        EnrollBegin.Builder fiveCerts = enrollBegin().getEnrollBegin().toBuilder();
        for (int i = 0; i < DomainServiceProtocol.MAX_EK_CERTIFICATES; i++) {
            fiveCerts.addEkCertificates(ByteString.copyFromUtf8("ca"));
        }
        byte[] tooLarge = new byte[DomainServiceProtocol.MAX_TPM_AREA_BYTES + 1];
        DomainServiceRequest[] bad = {
            enrollBegin().toBuilder().clearEnrollBegin().build(),
            enrollBegin().toBuilder().setEnrollBegin(enrollBegin().getEnrollBegin().toBuilder().clearHostKey()).build(),
            enrollBegin().toBuilder().setEnrollBegin(enrollBegin().getEnrollBegin().toBuilder().clearEkCertificates()).build(),
            enrollBegin().toBuilder().setEnrollBegin(fiveCerts).build(),
            enrollBegin().toBuilder().setEnrollBegin(enrollBegin().getEnrollBegin().toBuilder()
                    .setAkPublic(ByteString.copyFrom(tooLarge))).build(),
            enrollBegin().toBuilder().setEnrollFinish(enrollFinish().getEnrollFinish()).build(),
            enrollBegin().toBuilder().setAttestation(ByteString.copyFromUtf8("a")).build(),
            enrollFinish().toBuilder().setEnrollFinish(enrollFinish().getEnrollFinish().toBuilder().clearCredential()).build(),
            enrollFinish().toBuilder().setEnrollFinish(enrollFinish().getEnrollFinish().toBuilder()
                    .setCredential(ByteString.copyFrom(tooLarge))).build(),
            certify().toBuilder().setEnrollFinish(enrollFinish().getEnrollFinish()).build(),
        };
        for (DomainServiceRequest r : bad) {
            assertThrows(FrameException.class, () -> DomainServiceProtocol.parseRequest(r.toByteArray()), r.toString());
        }
    }

    @Test
    void parseResponse_withoutStatusOrWithUnknownStatus_throws() {
        assertThrows(FrameException.class, () -> DomainServiceProtocol.parseResponse(new byte[0]));
        assertThrows(FrameException.class, () -> DomainServiceProtocol.parseResponse(new byte[] {0x08, 0x09}));
    }

    @Test
    void parseResponse_crlResponse_roundTripsUpToTheBound() throws Exception {
        DomainServiceResponse r = DomainServiceResponse.newBuilder().setStatus(DomainServiceStatus.DOMAIN_SERVICE_OK)
                .setCrl(ByteString.copyFrom(new byte[RevocationList.MAX_BYTES])).build();

        assertThat(DomainServiceProtocol.parseResponse(r.toByteArray()).getCrl().size())
                .isEqualTo(RevocationList.MAX_BYTES);
    }

    @Test
    void parseResponse_crlOversizedOrTruncated_throwsFrameException() {
        DomainServiceResponse oversized = DomainServiceResponse.newBuilder()
                .setStatus(DomainServiceStatus.DOMAIN_SERVICE_OK)
                .setCrl(ByteString.copyFrom(new byte[RevocationList.MAX_BYTES + 1])).build();
        byte[] whole = DomainServiceResponse.newBuilder().setStatus(DomainServiceStatus.DOMAIN_SERVICE_OK)
                .setCrl(ByteString.copyFrom(new byte[1000])).build().toByteArray();
        DomainServiceResponse bigCertificate = DomainServiceResponse.newBuilder()
                .setStatus(DomainServiceStatus.DOMAIN_SERVICE_OK)
                .setProgramCertificate(ByteString.copyFrom(new byte[DomainServiceProtocol.MAX_CERTIFICATE_BYTES + 1]))
                .build();

        FrameException e = assertThrows(FrameException.class,
                () -> DomainServiceProtocol.parseResponse(oversized.toByteArray()));
        assertThat(e).hasMessageContaining("CRL larger than");
        for (int cut : new int[] {3, 100, whole.length - 1}) {
            assertThrows(FrameException.class, () -> DomainServiceProtocol.parseResponse(Arrays.copyOf(whole, cut)),
                    "cut at " + cut);
        }
        assertThrows(FrameException.class, () -> DomainServiceProtocol.parseResponse(bigCertificate.toByteArray()));
    }

    @Test
    void failure_reasonIsOneBoundedLine() throws Exception {
        DomainServiceResponse r = DomainServiceProtocol.failure(DomainServiceStatus.DOMAIN_SERVICE_REFUSED,
                "line one\nline two" + "x".repeat(DomainServiceProtocol.MAX_REASON_CHARS));

        assertThat(r.getReason()).hasSize(DomainServiceProtocol.MAX_REASON_CHARS).doesNotContain("\n");
        assertThat(DomainServiceProtocol.parseResponse(r.toByteArray())).isEqualTo(r);
        assertThrows(IllegalArgumentException.class,
                () -> DomainServiceProtocol.failure(DomainServiceStatus.DOMAIN_SERVICE_OK, "no"));
    }

    @Test
    void servicePrincipal_isThePolicyKeyWithDomainService() throws Exception {
        Prin policy = Prin.parse("key([" + "ab".repeat(32) + "])");

        assertThat(DomainServiceProtocol.servicePrincipal(policy).toString())
                .isEqualTo("key([" + "ab".repeat(32) + "]).DomainService()");
        assertThat(DomainServiceProtocol.policyKeyExtension(policy).toString())
                .isEqualTo("PolicyKey([" + "ab".repeat(32) + "])");
        assertThrows(IllegalArgumentException.class,
                () -> DomainServiceProtocol.policyKeyExtension(DomainServiceProtocol.servicePrincipal(policy)));
    }
}
