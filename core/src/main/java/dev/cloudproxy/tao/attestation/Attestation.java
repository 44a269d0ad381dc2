package dev.cloudproxy.tao.attestation;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.ExtensionRegistryLite;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.keys.Verifier;
import dev.cloudproxy.tao.proto.AttestationProtos;
import dev.cloudproxy.tao.proto.AttestationProtos.ContextualizedData;
import dev.cloudproxy.tao.proto.AttestationProtos.CryptoHeader;
import dev.cloudproxy.tao.proto.AttestationProtos.CryptoVersion;
import dev.cloudproxy.tao.proto.AttestationProtos.SignedData;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A signed statement: "{@code signer} says {@code statement}", where the statement is itself
 * "{@code issuer [from T1] [until T2] says message}". Wire-compatible with CloudProxy's
 * {@code Attestation} protobuf.
 *
 * <p>An instance is only parsed, never trusted: its structure is checked (fields present, the
 * statement a {@code says} by a principal, the signer key a valid P-256 key, nesting bounded), but
 * nothing about its signature, chain or time window. Use {@link AttestationVerifier} to learn what
 * it proves. The signature covers only the statement; delegation and endorsements ride alongside
 * and are verified on their own.
 *
 * <p>Signature rule: ECDSA P-256 (DER) over SHA-256 of the serialized
 * {@code ContextualizedData{context = "Tao Attestation Signing Context V1", data = statement}},
 * wrapped in {@code SignedData{header, signature}} with a version-2 header whose key type is
 * {@code ecdsap256-public}, purpose {@code signing} and status {@code active}. The signature does
 * not cover the header (CloudProxy's format); its key name and epoch are informational, so
 * changing them changes nothing a verifier concludes. All other unsigned framing (field tags,
 * duplicates, unknown fields) is checked strictly, so the bytes cannot be reinterpreted.
 *
 * <p>TPM 2.0 attestations (signer type {@value #SIGNER_TYPE_TPM2}) carry no {@code SignedData}:
 * {@code tpm2_quote_structure} is a {@link Tpm2Quote} (a {@code TPMS_ATTEST}) whose nonce is
 * {@link Tpm2Quote#nonceFor} the statement, {@code signature} is the attestation key's DER ECDSA
 * P-256 signature over SHA-256 of that structure, and {@code signer_key} is the attestation key.
 * Every byte of such an attestation is covered by the signature or checked strictly. They never
 * carry a delegation: a TPM speaks only for its own PCR state.
 */
public final class Attestation {
    /** The context string bound into every attestation signature. */
    public static final String SIGNING_CONTEXT = "Tao Attestation Signing Context V1";
    /** The signer type of software keys. */
    public static final String SIGNER_TYPE_KEY = "key";
    /** The signer type of TPM 2.0 attestation keys, whose signature is a quote. */
    public static final String SIGNER_TYPE_TPM2 = "tpm2";
    /** The key type named in signature headers. */
    public static final String KEY_TYPE = "ecdsap256-public";
    /** Largest serialized attestation accepted, including everything nested in it. */
    public static final int MAX_BYTES = 1 << 20;
    /** Deepest nesting of delegations and endorsements inside one another. */
    public static final int MAX_NESTING = 16;
    /** Most endorsements on one attestation. */
    public static final int MAX_ENDORSEMENTS = 64;
    /** Longest DER ECDSA P-256 signature. */
    private static final int MAX_TPM2_SIGNATURE_BYTES = 72;

    private static final int LEN = WireFormat.WIRETYPE_LENGTH_DELIMITED;
    private static final int VARINT = WireFormat.WIRETYPE_VARINT;
    private static final Map<Integer, Integer> ATTESTATION_FIELDS =
            Map.of(1, LEN, 2, LEN, 3, LEN, 4, LEN, 5, LEN, 6, LEN, 7, LEN, 8, LEN);
    private static final Map<Integer, Integer> SIGNED_DATA_FIELDS = Map.of(1, LEN, 2, LEN);
    private static final Map<Integer, Integer> HEADER_FIELDS =
            Map.of(1, VARINT, 2, LEN, 3, VARINT, 4, LEN, 5, LEN, 6, LEN);

    private final byte[] serialized;
    private final byte[] statementBytes;
    private final Says statement;
    private final Prin issuer;
    private final String signerType;
    private final Verifier signerKey;
    private final byte[] signature;
    private final CryptoHeader header;
    private final Tpm2Quote tpm2Quote;
    private final Attestation delegation;
    private final List<Attestation> endorsements;

    private Attestation(byte[] serialized, AttestationProtos.Attestation pb, int nesting)
            throws VerificationException {
        this.serialized = serialized;
        require(pb.hasSerializedStatement(), "no serialized_statement");
        require(pb.hasSignerType(), "no signer_type");
        require(pb.hasSignerKey(), "no signer_key");
        require(pb.hasSignature(), "no signature");
        this.signerType = pb.getSignerType();
        if (!signerType.equals(SIGNER_TYPE_KEY) && !signerType.equals(SIGNER_TYPE_TPM2)) {
            throw new VerificationException("unsupported signer type \"" + printable(signerType) + "\"");
        }
        boolean tpm2 = signerType.equals(SIGNER_TYPE_TPM2);
        if (tpm2) {
            require(pb.hasTpm2QuoteStructure(), "a tpm2 attestation without a quote structure");
            require(!pb.hasSerializedDelegation(), "a tpm2 attestation with a delegation");
        } else {
            require(!pb.hasTpm2QuoteStructure(), "a tpm2 quote structure on a key-signed attestation");
        }
        this.statementBytes = pb.getSerializedStatement().toByteArray();
        try {
            Form f = Form.decode(statementBytes);
            if (!(f instanceof Says says)) {
                throw malformed("statement is not a says formula");
            }
            if (!(says.speaker() instanceof Prin p)) {
                throw malformed("statement speaker is not a principal");
            }
            this.statement = says;
            this.issuer = p;
        } catch (AuthFormatException e) {
            throw malformed("statement: " + e.getMessage());
        }
        try {
            this.signerKey = Verifier.fromPkix(pb.getSignerKey().toByteArray());
        } catch (VerificationException e) {
            throw malformed("signer_key: " + e.getMessage());
        }
        if (tpm2) {
            this.tpm2Quote = Tpm2Quote.parse(pb.getTpm2QuoteStructure().toByteArray());
            this.header = null;
            this.signature = pb.getSignature().toByteArray();
            require(signature.length <= MAX_TPM2_SIGNATURE_BYTES, "tpm2 signature is longer than "
                    + MAX_TPM2_SIGNATURE_BYTES + " bytes");
        } else {
            this.tpm2Quote = null;
            byte[] signedData = pb.getSignature().toByteArray();
            String framing = StrictProto.check(signedData, SIGNED_DATA_FIELDS, Set.of());
            if (framing == null) {
                framing = StrictProto.check(headerBytes(signedData), HEADER_FIELDS, Set.of());
            }
            if (framing != null) {
                throw malformed("signature: " + framing);
            }
            SignedData signed;
            try {
                signed = SignedData.parseFrom(signedData);
            } catch (InvalidProtocolBufferException e) {
                throw malformed("signature is not a SignedData message");
            }
            require(signed.hasHeader() && signed.hasSignature(), "SignedData lacks header or signature");
            this.header = signed.getHeader();
            this.signature = signed.getSignature().toByteArray();
        }
        if (pb.hasSerializedDelegation()) {
            this.delegation = parse(pb.getSerializedDelegation().toByteArray(), nesting + 1);
        } else {
            this.delegation = null;
        }
        require(pb.getSerializedEndorsementsCount() <= MAX_ENDORSEMENTS,
                "more than " + MAX_ENDORSEMENTS + " endorsements");
        List<Attestation> ends = new ArrayList<>();
        for (ByteString e : pb.getSerializedEndorsementsList()) {
            ends.add(parse(e.toByteArray(), nesting + 1));
        }
        this.endorsements = List.copyOf(ends);
    }

    /**
     * Parses a serialized attestation, checking its structure only.
     *
     * @throws VerificationException if it is oversized, not a well-formed attestation, nested too
     *     deeply, or uses a signer type this version does not support
     */
    public static Attestation parse(byte[] serialized) throws VerificationException {
        return parse(serialized, 0);
    }

    private static Attestation parse(byte[] serialized, int nesting) throws VerificationException {
        Objects.requireNonNull(serialized, "serialized");
        if (serialized.length > MAX_BYTES) {
            throw malformed("larger than " + MAX_BYTES + " bytes");
        }
        if (nesting > MAX_NESTING) {
            throw malformed("delegations and endorsements nest more than " + MAX_NESTING + " deep");
        }
        String framing = StrictProto.check(serialized, ATTESTATION_FIELDS, Set.of(6));
        if (framing != null) {
            throw malformed(framing);
        }
        AttestationProtos.Attestation pb;
        try {
            CodedInputStream in = CodedInputStream.newInstance(serialized);
            in.setRecursionLimit(8);
            pb = AttestationProtos.Attestation.parseFrom(in, ExtensionRegistryLite.getEmptyRegistry());
        } catch (IOException e) {
            throw malformed("not a protobuf Attestation message");
        }
        return new Attestation(serialized.clone(), pb, nesting);
    }

    /** Signs {@code statement} with {@code signer}, with no delegation: the signer must speak for the issuer itself. */
    public static Attestation sign(Signer signer, Says statement) {
        return build(signer, statement, null, List.of());
    }

    /** Signs {@code statement} with {@code signer}, attaching the delegation that lets the signer speak for the issuer. */
    public static Attestation sign(Signer signer, Says statement, Attestation delegation) {
        return build(signer, statement, Objects.requireNonNull(delegation, "delegation"), List.of());
    }

    /**
     * A TPM 2.0 attestation: {@code quote} is the {@code TPMS_ATTEST} the attestation key
     * {@code ak} signed, with {@code signature} (DER ECDSA over SHA-256 of the quote), and its
     * nonce must be {@link Tpm2Quote#nonceFor} the statement. Only the structure is checked here.
     *
     * @throws VerificationException if the quote or signature is malformed
     */
    public static Attestation fromTpm2Quote(Says statement, Verifier ak, byte[] quote, byte[] signature)
            throws VerificationException {
        Objects.requireNonNull(ak, "ak");
        if (!(Objects.requireNonNull(statement, "statement").speaker() instanceof Prin)) {
            throw new IllegalArgumentException("the statement's speaker must be a principal");
        }
        byte[] serialized = AttestationProtos.Attestation.newBuilder()
                .setSerializedStatement(ByteString.copyFrom(statement.encode()))
                .setSignerType(SIGNER_TYPE_TPM2)
                .setSignerKey(ByteString.copyFrom(ak.pkix()))
                .setSignature(ByteString.copyFrom(Objects.requireNonNull(signature, "signature")))
                .setTpm2QuoteStructure(ByteString.copyFrom(Objects.requireNonNull(quote, "quote")))
                .build()
                .toByteArray();
        return parse(serialized);
    }

    /** This attestation with {@code more} endorsements appended (they are not covered by the signature). */
    public Attestation withEndorsements(List<Attestation> more) {
        try {
            AttestationProtos.Attestation.Builder b = AttestationProtos.Attestation.parseFrom(serialized).toBuilder();
            for (Attestation e : more) {
                b.addSerializedEndorsements(ByteString.copyFrom(e.serialized));
            }
            return parse(b.build().toByteArray());
        } catch (InvalidProtocolBufferException | VerificationException e) {
            throw new IllegalArgumentException("cannot add endorsements: " + e.getMessage(), e);
        }
    }

    private static Attestation build(Signer signer, Says statement, Attestation delegation, List<Attestation> ends) {
        Objects.requireNonNull(signer, "signer");
        if (!(Objects.requireNonNull(statement, "statement").speaker() instanceof Prin)) {
            throw new IllegalArgumentException("the statement's speaker must be a principal");
        }
        byte[] stmt = statement.encode();
        SignedData signed = SignedData.newBuilder()
                .setHeader(CryptoHeader.newBuilder()
                        .setVersion(CryptoVersion.CRYPTO_VERSION_2)
                        .setKeyName("tao")
                        .setKeyEpoch(1)
                        .setKeyType(KEY_TYPE)
                        .setKeyPurpose("signing")
                        .setKeyStatus("active"))
                .setSignature(ByteString.copyFrom(signer.sign(signedBytes(stmt))))
                .build();
        AttestationProtos.Attestation.Builder b = AttestationProtos.Attestation.newBuilder()
                .setSerializedStatement(ByteString.copyFrom(stmt))
                .setSignerType(SIGNER_TYPE_KEY)
                .setSignerKey(ByteString.copyFrom(signer.verifier().pkix()))
                .setSignature(signed.toByteString());
        if (delegation != null) {
            b.setSerializedDelegation(ByteString.copyFrom(delegation.serialized));
        }
        for (Attestation e : ends) {
            b.addSerializedEndorsements(ByteString.copyFrom(e.serialized));
        }
        try {
            return parse(b.build().toByteArray());
        } catch (VerificationException e) {
            throw new IllegalArgumentException("cannot build attestation: " + e.getMessage(), e);
        }
    }

    /** The raw bytes of the header field inside a SignedData whose framing is already checked. */
    private static byte[] headerBytes(byte[] signedData) throws VerificationException {
        try {
            CodedInputStream in = CodedInputStream.newInstance(signedData);
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                if (WireFormat.getTagFieldNumber(tag) == 1) {
                    return in.readByteArray();
                }
                in.skipField(tag);
            }
            return new byte[0];
        } catch (IOException e) {
            throw malformed("signature is not a SignedData message");
        }
    }

    /** The bytes whose SHA-256 is signed: the serialized ContextualizedData of the statement. */
    static byte[] signedBytes(byte[] statement) {
        return ContextualizedData.newBuilder()
                .setContext(SIGNING_CONTEXT)
                .setData(ByteString.copyFrom(statement))
                .build()
                .toByteArray();
    }

    /** The serialized form, exactly as parsed or built. */
    public byte[] serialize() {
        return serialized.clone();
    }

    /** The statement as signed: {@code issuer [from] [until] says message}. Not yet verified. */
    public Says statement() {
        return statement;
    }

    /** The statement's speaker. Not yet verified. */
    public Prin issuer() {
        return issuer;
    }

    /** The key that signed (or claims to have signed) the statement. */
    public Verifier signerKey() {
        return signerKey;
    }

    /**
     * The principal of the signing key: {@code key([h])} for a key-signed attestation,
     * {@code tpm2([h])} (the attestation key) for a TPM quote, h the SHA-256 of the key's PKIX
     * encoding. Not yet verified; {@link AttestationVerifier} names the same principal as the signer.
     */
    public Prin signerPrincipal() {
        return tpm2Quote == null ? signerKey.principal() : Tpm2Quote.akPrincipal(signerKey);
    }

    /** The attached delegation, if any. */
    public Optional<Attestation> delegation() {
        return Optional.ofNullable(delegation);
    }

    /** The attached endorsements (possibly empty). */
    public List<Attestation> endorsements() {
        return endorsements;
    }

    byte[] statementBytes() {
        return statementBytes;
    }

    byte[] signatureBytes() {
        return signature;
    }

    /** The signer type: {@value #SIGNER_TYPE_KEY} or {@value #SIGNER_TYPE_TPM2}. */
    public String signerType() {
        return signerType;
    }

    /** The quote of a {@value #SIGNER_TYPE_TPM2} attestation; empty for a key-signed one. */
    public Optional<Tpm2Quote> tpm2Quote() {
        return Optional.ofNullable(tpm2Quote);
    }

    /** The SignedData header of a key-signed attestation; null for a tpm2 one. */
    CryptoHeader header() {
        return header;
    }

    @Override
    public String toString() {
        return "Attestation[" + signerPrincipal() + " signs " + statement + "]";
    }

    private static void require(boolean ok, String what) throws VerificationException {
        if (!ok) {
            throw malformed(what);
        }
    }

    private static VerificationException malformed(String what) {
        return new VerificationException("malformed attestation: " + what);
    }

    private static String printable(String s) {
        String cut = s.length() > 24 ? s.substring(0, 24) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
