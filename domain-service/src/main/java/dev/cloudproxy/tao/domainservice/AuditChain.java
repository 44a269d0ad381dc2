package dev.cloudproxy.tao.domainservice;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The hash chain that makes the domain service's audit records tamper-evident.
 *
 * <p>Each record ends in a seventh tab-separated field, its chain value:
 *
 * <pre>
 * chain(n) = SHA-256("tao-audit-chain/v1" || 0x00 || chain(n-1) || UTF-8(record n without its chain field))
 * </pre>
 *
 * <p>with {@code chain(0)} 32 zero bytes for a log that began chained. A log written by a service
 * from before the chain (six fields per line) keeps those lines as an unchained prefix; the chain
 * then starts from SHA-256 of {@code "tao-audit-legacy/v1" || 0x00 ||} the prefix's bytes, so the
 * prefix cannot be changed later without breaking every chain value after it (though what it said
 * before the first chained record was never protected).
 *
 * <p>What the chain shows: an edited record, or a record deleted, inserted or moved anywhere before
 * the newest, breaks the chain at that point ({@link #verify}). What it cannot show alone: the
 * newest records cut off the end. Two things catch that: a chain value the operator kept elsewhere
 * (it must still occur, {@link Verification#contains}), and the certificates in the store (each
 * must have its {@code issued} record, {@link Verification#issuedSerials}).
 */
public final class AuditChain {
    /** Bytes of a chain value. */
    public static final int VALUE_BYTES = 32;
    /** Hex characters of a chain value in a record. */
    public static final int VALUE_CHARS = 2 * VALUE_BYTES;
    /** Fields of a chained record (the six of {@link AuditLog} plus the chain value). */
    public static final int FIELDS = 7;

    private static final byte[] LABEL = "tao-audit-chain/v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LEGACY_LABEL = "tao-audit-legacy/v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final HexFormat HEX = HexFormat.of();

    private AuditChain() {}

    /** The value before the first record of a log that began chained. */
    public static byte[] genesis() {
        return new byte[VALUE_BYTES];
    }

    /** The chain value of {@code record} (its six fields, tab-joined, no line end) after {@code previous}. */
    public static byte[] next(byte[] previous, String record) {
        if (previous.length != VALUE_BYTES) {
            throw new IllegalArgumentException("a chain value has " + VALUE_BYTES + " bytes");
        }
        MessageDigest d = sha256();
        d.update(LABEL);
        d.update(previous);
        d.update(record.getBytes(StandardCharsets.UTF_8));
        return d.digest();
    }

    /** {@code value} as it stands in a record. */
    static String hex(byte[] value) {
        return HEX.formatHex(value);
    }

    /** The chain value in a record's last field, if it is one (64 lowercase hex digits). */
    static Optional<byte[]> parseValue(String field) {
        if (field.length() != VALUE_CHARS || !field.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return Optional.empty();
        }
        return Optional.of(HEX.parseHex(field));
    }

    /** Hashes an unchained prefix of a log, line by line, as {@link #verify} does. */
    static final class LegacyPrefix {
        private final MessageDigest digest = sha256();

        LegacyPrefix() {
            digest.update(LEGACY_LABEL);
        }

        void add(String line) {
            digest.update(line.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) '\n');
        }

        byte[] value() {
            return digest.digest();
        }
    }

    /** Where a chain breaks, and why. */
    public record Break(long line, String reason) {
        public Break {
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public String toString() {
            return "line " + line + ": " + reason;
        }
    }

    /**
     * What {@link #verify} found.
     *
     * @param records lines read
     * @param unchained leading lines from before the chain (six fields)
     * @param head the newest chain value (the genesis value of an empty log)
     * @param firstBreak the first place the chain breaks, if it does; nothing after it is trusted
     * @param values every chain value seen, in hex, up to the break
     * @param issuedSerials serials of the {@code issued} records up to the break
     */
    public record Verification(long records, long unchained, byte[] head, Optional<Break> firstBreak,
            Set<String> values, Set<String> issuedSerials) {
        public Verification {
            head = head.clone();
            values = Set.copyOf(values);
            issuedSerials = Set.copyOf(issuedSerials);
        }

        @Override
        public byte[] head() {
            return head.clone();
        }

        /** The newest chain value in hex. */
        public String headHex() {
            return HEX.formatHex(head);
        }

        /** Whether the chain is whole. */
        public boolean intact() {
            return firstBreak.isEmpty();
        }

        /** Whether {@code hexValue} (a head kept earlier) is one of the chain's values. */
        public boolean contains(String hexValue) {
            return values.contains(hexValue.toLowerCase(java.util.Locale.ROOT));
        }
    }

    /**
     * Reads a log (lines as {@link AuditLog} or {@link PostgresStore#auditLines} give them) and checks
     * its chain. Reads to the end but stops checking at the first break.
     *
     * @param lines the log; the reader is not closed
     * @param endsWithLineBreak whether the log's last byte is a line end (false marks a partial last record)
     */
    public static Verification verify(BufferedReader lines, boolean endsWithLineBreak) throws IOException {
        long n = 0;
        long unchained = 0;
        byte[] value = genesis();
        boolean chained = false;
        LegacyPrefix legacy = new LegacyPrefix();
        Break broken = null;
        Set<String> values = new TreeSet<>();
        Set<String> issued = new TreeSet<>();
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            n++;
            if (broken != null) {
                continue;
            }
            String[] fields = line.split("\t", -1);
            if (fields.length == FIELDS - 1 && !chained) {
                unchained++;
                legacy.add(line);
                continue;
            }
            if (fields.length == FIELDS - 1) {
                broken = new Break(n, "a record without a chain value after the chain began (inserted)");
                continue;
            }
            if (fields.length != FIELDS) {
                broken = new Break(n, "not an audit record (" + fields.length + " fields)");
                continue;
            }
            if (!chained) {
                chained = true;
                if (unchained > 0) {
                    value = legacy.value();
                }
            }
            String record = line.substring(0, line.lastIndexOf('\t'));
            byte[] expected = next(value, record);
            if (!HEX.formatHex(expected).equals(fields[FIELDS - 1])) {
                broken = new Break(n, "the chain value does not match: this record was edited, or one before it"
                        + " was deleted, inserted or moved");
                continue;
            }
            value = expected;
            values.add(fields[FIELDS - 1]);
            if (fields[2].equals(AuditLog.Decision.ISSUED.text())) {
                issued.add(fields[4]);
            }
        }
        if (!chained && unchained > 0) {
            value = legacy.value();
        }
        if (broken == null && n > 0 && !endsWithLineBreak) {
            broken = new Break(n, "a partial record (the log ends without a line end: a crash or a full disk)");
        }
        return new Verification(n, unchained, value, Optional.ofNullable(broken), values, issued);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
