package dev.cloudproxy.tao.attestation;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.auth.Term;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * Values of SHA-256 PCRs, as a TPM 2.0 Tao names them: the extension
 * {@code PCRs("17,18", "<hex of PCR 17>,<hex of PCR 18>")} right after {@code tpm2([..])}.
 *
 * <p>One text form per value set: indices in decimal, strictly ascending, without leading zeros,
 * 0..63; each value 64 lowercase hex digits. So a verifier can compare names and digests without
 * normalizing anything.
 */
public final class Tpm2Pcrs {
    /** The name of the extension. */
    public static final String EXTENSION = "PCRs";
    /** Highest PCR index a quote selection can name (8 select bytes). */
    public static final int MAX_INDEX = 63;
    private static final int DIGEST_BYTES = 32;
    private static final HexFormat HEX = HexFormat.of();

    private final int[] indices;
    private final byte[][] values;

    private Tpm2Pcrs(int[] indices, byte[][] values) {
        this.indices = indices;
        this.values = values;
    }

    /**
     * PCR values by index.
     *
     * @throws IllegalArgumentException unless the indices are strictly ascending in 0..63, at
     *     least one, and each value is 32 bytes
     */
    public static Tpm2Pcrs of(List<Integer> indices, List<byte[]> values) {
        Objects.requireNonNull(indices, "indices");
        Objects.requireNonNull(values, "values");
        if (indices.isEmpty() || indices.size() != values.size()) {
            throw new IllegalArgumentException("need one 32-byte value for each of at least one PCR");
        }
        int[] idx = new int[indices.size()];
        byte[][] vals = new byte[idx.length][];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = indices.get(i);
            if (idx[i] < 0 || idx[i] > MAX_INDEX || (i > 0 && idx[i] <= idx[i - 1])) {
                throw new IllegalArgumentException("PCR indices must be strictly ascending in 0.." + MAX_INDEX);
            }
            if (values.get(i).length != DIGEST_BYTES) {
                throw new IllegalArgumentException("a SHA-256 PCR value has 32 bytes");
            }
            vals[i] = values.get(i).clone();
        }
        return new Tpm2Pcrs(idx, vals);
    }

    /**
     * Reads a {@code PCRs("list", "values")} extension.
     *
     * @throws VerificationException if it is not exactly that extension in the one text form
     */
    public static Tpm2Pcrs fromExtension(PrinExt ext) throws VerificationException {
        Objects.requireNonNull(ext, "ext");
        if (!EXTENSION.equals(ext.name()) || ext.args().size() != 2
                || !(ext.args().get(0) instanceof Str list) || !(ext.args().get(1) instanceof Str vals)) {
            throw new VerificationException("not a PCRs(\"list\", \"values\") extension");
        }
        String[] is = list.value().split(",", -1);
        String[] vs = vals.value().split(",", -1);
        if (is.length != vs.length || is.length > MAX_INDEX + 1) {
            throw new VerificationException("PCRs extension: the list and the values differ in length");
        }
        List<Integer> indices = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < is.length; i++) {
            if (!is[i].matches("0|[1-9][0-9]?")) {
                throw new VerificationException("PCRs extension: bad PCR index");
            }
            if (!vs[i].matches("[0-9a-f]{64}")) {
                throw new VerificationException("PCRs extension: a value is not 64 lowercase hex digits");
            }
            indices.add(Integer.parseInt(is[i]));
            values.add(HEX.parseHex(vs[i]));
        }
        try {
            return of(indices, values);
        } catch (IllegalArgumentException e) {
            throw new VerificationException("PCRs extension: " + e.getMessage());
        }
    }

    /** {@code PCRs("list", "values")}. */
    public PrinExt toExtension() {
        StringJoiner list = new StringJoiner(",");
        StringJoiner vals = new StringJoiner(",");
        for (int i = 0; i < indices.length; i++) {
            list.add(Integer.toString(indices[i]));
            vals.add(HEX.formatHex(values[i]));
        }
        return PrinExt.of(EXTENSION, (Term) new Str(list.toString()), new Str(vals.toString()));
    }

    /** The PCR indices, ascending. */
    public List<Integer> indices() {
        List<Integer> out = new ArrayList<>(indices.length);
        for (int i : indices) {
            out.add(i);
        }
        return List.copyOf(out);
    }

    /** The value of the {@code i}-th PCR in {@link #indices()}. */
    public byte[] value(int i) {
        return values[i].clone();
    }

    /** What a TPM puts in a quote's {@code pcrDigest}: SHA-256 of the values concatenated in index order. */
    public byte[] digest() {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] v : values) {
            all.writeBytes(v);
        }
        return Tpm2Quote.sha256(all.toByteArray());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tpm2Pcrs p && toExtension().equals(p.toExtension());
    }

    @Override
    public int hashCode() {
        return toExtension().hashCode();
    }

    @Override
    public String toString() {
        return toExtension().toString();
    }
}
