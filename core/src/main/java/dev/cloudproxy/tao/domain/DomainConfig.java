package dev.cloudproxy.tao.domain;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.keys.Verifier;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A domain's {@code tao.config}: its name, guard type and guard file, in the {@link KeyValueText}
 * format, with a detached signature by the policy key in {@code tao.config.sig}. A configuration
 * is only used after that signature verified.
 *
 * @param name the domain name (equal to the policy certificate's common name)
 * @param guardType the guard
 * @param guardFile the guard's rule file, a plain file name in the domain directory; empty for
 *     guards with a fixed policy
 */
record DomainConfig(String name, GuardType guardType, Optional<String> guardFile) {
    static final int MAX_FILE_BYTES = 64 * 1024;
    /** A DER ECDSA P-256 signature is at most 72 bytes. */
    static final int MAX_SIGNATURE_BYTES = 72;
    private static final byte[] CONTEXT = "Tao Domain Config V1\0".getBytes(StandardCharsets.US_ASCII);

    DomainConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(guardType, "guardType");
        Objects.requireNonNull(guardFile, "guardFile");
        if (guardFile.isPresent() != guardType.hasRules()) {
            throw new IllegalArgumentException("a guard file goes with acl and datalog guards only");
        }
        guardFile.ifPresent(f -> {
            if (!f.matches("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}")) {
                throw new IllegalArgumentException("the guard file must be a plain file name");
            }
        });
    }

    byte[] encode() {
        StringBuilder b = new StringBuilder()
                .append("# Tao domain configuration. Signed by the policy key (tao.config.sig):\n")
                .append("# change it with 'tao domain' commands only; an edited file is refused.\n")
                .append("version = 1\n")
                .append("name = ").append(name).append('\n')
                .append("guard_type = ").append(guardType.text()).append('\n');
        guardFile.ifPresent(f -> b.append("guard_file = ").append(f).append('\n'));
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] sign(byte[] encoded, Signer policyKey) {
        return policyKey.sign(signedBytes(encoded));
    }

    /**
     * Checks the signature first, then parses: nothing of an unsigned file is looked at beyond
     * its size.
     */
    static DomainConfig verifyAndParse(byte[] encoded, byte[] signature, Verifier policyKey) throws DomainException {
        if (encoded.length > MAX_FILE_BYTES) {
            throw new DomainException(Domain.CONFIG_FILE + " is larger than " + MAX_FILE_BYTES + " bytes");
        }
        if (signature.length > MAX_SIGNATURE_BYTES) {
            throw new DomainException(Domain.CONFIG_SIGNATURE_FILE + " is not a signature");
        }
        try {
            policyKey.verify(signedBytes(encoded), signature);
        } catch (VerificationException e) {
            throw new DomainException(Domain.CONFIG_FILE + " is not signed by the policy key", e);
        }
        return parse(encoded);
    }

    private static DomainConfig parse(byte[] encoded) throws DomainException {
        String what = Domain.CONFIG_FILE;
        Map<String, String> values = new HashMap<>();
        for (KeyValueText.Entry e : KeyValueText.parse(encoded, what)) {
            switch (e.key()) {
                case "version", "name", "guard_type", "guard_file" -> {
                    if (values.put(e.key(), e.value()) != null) {
                        throw new DomainException(what + " line " + e.line() + ": " + e.key() + " given twice");
                    }
                }
                default -> throw new DomainException(what + " line " + e.line() + ": unknown key " + e.key());
            }
        }
        if (!"1".equals(values.get("version"))) {
            throw new DomainException(what + ": unsupported or missing version");
        }
        String name = values.get("name");
        String type = values.get("guard_type");
        if (name == null || type == null) {
            throw new DomainException(what + ": needs name and guard_type");
        }
        try {
            return new DomainConfig(name, GuardType.parse(type, what), Optional.ofNullable(values.get("guard_file")));
        } catch (IllegalArgumentException e) {
            throw new DomainException(what + ": " + e.getMessage(), e);
        }
    }

    private static byte[] signedBytes(byte[] encoded) {
        byte[] all = new byte[CONTEXT.length + encoded.length];
        System.arraycopy(CONTEXT, 0, all, 0, CONTEXT.length);
        System.arraycopy(encoded, 0, all, CONTEXT.length, encoded.length);
        return all;
    }
}
