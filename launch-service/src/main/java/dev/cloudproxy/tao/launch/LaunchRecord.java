package dev.cloudproxy.tao.launch;

import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Int;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.auth.Term;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a host says about one launch, as the message of its attestation:
 *
 * <pre>
 * host says Launched(program, "catalog name", [nonce], pid, "run", "endpoint", [program key],
 *                    [SHA-256 of the output], exit status)
 * </pre>
 *
 * {@code program} is the full name the host measured and ran ({@code <host>.Program([..])}),
 * {@code nonce} the client's, unchanged. For a run to completion ({@link LaunchCatalog#RUN}) the
 * endpoint and program key are empty and the digest and exit status describe how the run ended.
 * Nothing in a record is secret. A value: the byte arrays are copied in and out.
 */
public record LaunchRecord(Prin program, String catalogName, byte[] nonce, long pid, String mode, String endpoint,
        byte[] programKey, byte[] outputSha256, long exitStatus) {
    /** The predicate's name. */
    public static final String PREDICATE = "Launched";
    /** Shortest and longest client nonce. */
    public static final int MIN_NONCE = 16;
    public static final int MAX_NONCE = 64;

    public LaunchRecord {
        Objects.requireNonNull(program, "program");
        Objects.requireNonNull(catalogName, "catalogName");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(endpoint, "endpoint");
        nonce = nonce.clone();
        programKey = programKey.clone();
        outputSha256 = outputSha256.clone();
        if (nonce.length < MIN_NONCE || nonce.length > MAX_NONCE) {
            throw new IllegalArgumentException("a nonce is " + MIN_NONCE + " to " + MAX_NONCE + " bytes");
        }
    }

    @Override
    public byte[] nonce() {
        return nonce.clone();
    }

    @Override
    public byte[] programKey() {
        return programKey.clone();
    }

    @Override
    public byte[] outputSha256() {
        return outputSha256.clone();
    }

    /** The statement's message. */
    public Form toForm() {
        return new Pred(PREDICATE, List.of(program, new Str(catalogName), new Bytes(nonce), new Int(pid), new Str(mode),
                new Str(endpoint), new Bytes(programKey), new Bytes(outputSha256), new Int(exitStatus)));
    }

    /** The record a message states, if it is one. */
    public static Optional<LaunchRecord> fromForm(Form message) {
        if (!(message instanceof Pred p) || !p.name().equals(PREDICATE) || p.args().size() != 9) {
            return Optional.empty();
        }
        List<Term> a = p.args();
        if (a.get(0) instanceof Prin program && a.get(1) instanceof Str name && a.get(2) instanceof Bytes nonce
                && a.get(3) instanceof Int pid && a.get(4) instanceof Str mode && a.get(5) instanceof Str endpoint
                && a.get(6) instanceof Bytes key && a.get(7) instanceof Bytes digest && a.get(8) instanceof Int exit) {
            try {
                return Optional.of(new LaunchRecord(program, name.value(), nonce.value(), pid.value(), mode.value(),
                        endpoint.value(), key.value(), digest.value(), exit.value()));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LaunchRecord r && toForm().equals(r.toForm());
    }

    @Override
    public int hashCode() {
        return toForm().hashCode();
    }

    @Override
    public String toString() {
        HexFormat hex = HexFormat.of();
        return "LaunchRecord[" + program + ", " + catalogName + ", nonce " + hex.formatHex(nonce) + ", pid " + pid
                + ", " + mode + ", output sha256 " + hex.formatHex(outputSha256) + ", exit " + exitStatus + "]";
    }
}
