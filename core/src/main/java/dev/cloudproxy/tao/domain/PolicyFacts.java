package dev.cloudproxy.tao.domain;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.attestation.Tpm2Pcrs;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.PrinTail;
import dev.cloudproxy.tao.auth.Str;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The facts a domain policy is made of, as added by templates and {@code tao domain policy}.
 * The rules of a template (such as the default one in {@code docs/domains.md}) give them meaning;
 * by themselves they authorize nothing.
 *
 * <ul>
 *   <li>{@code TrustedHost(P)}: a host principal, such as {@code key([..])} or a TPM-rooted name;
 *   <li>{@code TrustedProgramHash(ext.Program([H]))}: a program measurement;
 *   <li>{@code TrustedLinuxHost(ext.LinuxHost([H]))}: a Linux host measurement (kernel, initrd,
 *       host daemon), so a host running it on a trusted host can itself be trusted;
 *   <li>{@code TrustedGuard(ext.G(..))}: a guard subprincipal, e.g. {@code ext.DatalogGuard([..])},
 *       for hosts that append the guard they enforce to their name;
 *   <li>{@code Authorized(P, "Execute")}: a principal that may run in the domain, directly;
 *   <li>{@code TrustedTpm(tpm2([H]))}: a TPM attestation key the domain trusts to be resident in
 *       a real TPM (H the SHA-256 of its PKIX encoding);
 *   <li>{@code TrustedTpmPcrs(ext.PCRs("list", "values"))}: PCR values the domain accepts from
 *       such a TPM. With the template's rule, the two together make
 *       {@code TrustedPlatform(tpm2([H]).PCRs(..))}: the quoted name of that TPM in that state.
 *   <li>for launched JVM programs, named {@code Jvm(ext.Runtime(..), ext.Agent(..), ext.App(..),
 *       ext.Config(..))} (docs/measurement.md): {@code TrustedRuntime(ext.Runtime([R]))},
 *       {@code TrustedAgent(ext.Agent("V", [A]))}, {@code TrustedApp(ext.App([P]), ext.Config([C]))}
 *       and, for a launcher run by a host, {@code TrustedLauncher(ext.Agent(..), ext.App(..),
 *       ext.Config(..))}.
 * </ul>
 */
public final class PolicyFacts {
    /** Length of a measurement: SHA-256. */
    public static final int HASH_BYTES = 32;

    private PolicyFacts() {}

    /** {@code TrustedHost(host)}. */
    public static Form trustedHost(Prin host) {
        return Pred.of("TrustedHost", Objects.requireNonNull(host, "host"));
    }

    /** {@code TrustedProgramHash(ext.Program([hash]))}. */
    public static Form trustedProgram(byte[] hash) {
        return Pred.of("TrustedProgramHash", PrinTail.of(PrinExt.of("Program", hashTerm(hash))));
    }

    /** {@code TrustedLinuxHost(ext.LinuxHost([hash]))}. */
    public static Form trustedLinuxHost(byte[] hash) {
        return Pred.of("TrustedLinuxHost", PrinTail.of(PrinExt.of("LinuxHost", hashTerm(hash))));
    }

    /** {@code TrustedGuard(guard)}, where {@code guard} is a tail such as {@code ext.DatalogGuard([..])}. */
    public static Form trustedGuard(PrinTail guard) {
        return Pred.of("TrustedGuard", Objects.requireNonNull(guard, "guard"));
    }

    /** {@code TrustedRuntime(ext.Runtime([..]))}. */
    public static Form trustedRuntime(PrinTail runtime) {
        return Pred.of("TrustedRuntime", part(runtime, "Runtime"));
    }

    /** {@code TrustedAgent(ext.Agent("version", [..]))}. */
    public static Form trustedAgent(PrinTail agent) {
        return Pred.of("TrustedAgent", part(agent, "Agent"));
    }

    /** {@code TrustedApp(ext.App([..]), ext.Config([..]))}: an app with this configuration. */
    public static Form trustedApp(PrinTail app, PrinTail config) {
        return Pred.of("TrustedApp", part(app, "App"), part(config, "Config"));
    }

    /**
     * {@code TrustedLauncher(ext.Agent(..), ext.App([..]), ext.Config([..]))}: the launcher jar as a
     * host runs it, on any trusted runtime; what it runs is then judged like apps on a trusted host.
     */
    public static Form trustedLauncher(PrinTail agent, PrinTail app, PrinTail config) {
        return Pred.of("TrustedLauncher", part(agent, "Agent"), part(app, "App"), part(config, "Config"));
    }

    /** {@code Authorized(program, "Execute")}. */
    public static Form canExecute(Prin program) {
        return Pred.of("Authorized", Objects.requireNonNull(program, "program"), new Str("Execute"));
    }

    /**
     * {@code TrustedTpm(ak)}: a TPM attestation key, {@code tpm2([h])} with no extension (the PCR
     * values are a separate fact, {@link #trustedTpmPcrs}).
     *
     * @throws IllegalArgumentException if {@code ak} is not of that form
     */
    public static Form trustedTpm(Prin ak) {
        if (!"tpm2".equals(ak.type()) || !ak.ext().isEmpty()) {
            throw new IllegalArgumentException("a TPM attestation key is tpm2([hash]) with no extension, not " + ak);
        }
        return Pred.of("TrustedTpm", ak);
    }

    /**
     * {@code TrustedEkCa([h])}: a CA whose endorsement key certificates the domain believes (a
     * TPM manufacturer's, or your own for TPMs without one), h the SHA-256 of the CA certificate's
     * public key (SubjectPublicKeyInfo DER), so a re-issued CA certificate with the same key stays
     * trusted. The domain service's enrolment accepts an EK certificate chain that reaches such a CA.
     */
    public static Form trustedEkCa(java.security.cert.X509Certificate ca) {
        return Pred.of("TrustedEkCa", new Bytes(ekCaHash(ca)));
    }

    /** The hash {@link #trustedEkCa} names a CA by. */
    public static byte[] ekCaHash(java.security.cert.X509Certificate ca) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(ca.getPublicKey().getEncoded());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /**
     * {@code TrustedTpmPcrs(ext.PCRs("list", "values"))}: PCR values a TPM-rooted platform may
     * be in, in the canonical spelling of the name extension (ascending indices, lowercase hex).
     *
     * @throws IllegalArgumentException if {@code pcrs} is not one {@code PCRs} extension in that spelling
     */
    public static Form trustedTpmPcrs(PrinTail pcrs) {
        if (pcrs.ext().size() != 1) {
            throw new IllegalArgumentException("PCR values are one PCRs(\"list\", \"values\") extension, not " + pcrs);
        }
        try {
            Tpm2Pcrs parsed = Tpm2Pcrs.fromExtension(pcrs.ext().exts().get(0));
            if (!parsed.toExtension().equals(pcrs.ext().exts().get(0))) {
                throw new IllegalArgumentException("PCR values must be spelled canonically: " + parsed.toExtension());
            }
        } catch (VerificationException e) {
            throw new IllegalArgumentException("not PCR values: " + e.getMessage());
        }
        return Pred.of("TrustedTpmPcrs", pcrs);
    }

    /**
     * The bytes of a measurement written as {@value #HASH_BYTES} bytes of hex, optionally in
     * brackets as the auth language prints them ({@code [ab..]}).
     *
     * @throws IllegalArgumentException if it is not exactly that
     */
    public static byte[] parseHash(String text) {
        String hex = text.strip();
        if (hex.startsWith("[") && hex.endsWith("]")) {
            hex = hex.substring(1, hex.length() - 1);
        }
        if (hex.length() != 2 * HASH_BYTES) {
            throw new IllegalArgumentException("a hash must be " + HASH_BYTES + " bytes ("
                    + 2 * HASH_BYTES + " hex digits)");
        }
        try {
            return HexFormat.of().parseHex(hex);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a hash must be hex digits");
        }
    }

    /** A one-extension tail named {@code name}: a part of a launched program's name. */
    private static PrinTail part(PrinTail tail, String name) {
        Objects.requireNonNull(tail, name);
        if (tail.ext().exts().size() != 1 || !tail.ext().exts().get(0).name().equals(name)) {
            throw new IllegalArgumentException("not an ext." + name + "(..) part: " + tail);
        }
        return tail;
    }

    private static Bytes hashTerm(byte[] hash) {
        if (hash.length != HASH_BYTES) {
            throw new IllegalArgumentException("a hash must be " + HASH_BYTES + " bytes");
        }
        return new Bytes(hash);
    }
}
