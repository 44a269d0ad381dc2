package dev.cloudproxy.tao.agent;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * The typed bridge from tier 1 (where the application's {@code dev.cloudproxy.tao.Tao} is bound)
 * to tier 3 (the agent's Tao connection, core and its libraries). Its types are the JDK's and its
 * own because the two tiers hold different copies of the Tao API: the application's (its own
 * {@code tao-api}, or the one the agent appends to the class path) and tier 3's, which core is
 * linked against; a class of one is not a class of the other. Tier 3's class loader resolves this
 * interface, and nothing else of tier 1, from tier 1 ({@link ToolingClassLoader}).
 *
 * <p>Every method has the meaning of the {@code Tao} method it is named for; refusals come back as
 * {@link Refusal} (tier 1 rethrows the API's exception for its kind), transport failures as
 * {@link IOException}, misuse as {@link IllegalArgumentException}.
 */
public interface TaoBridge {
    Name name() throws IOException, Refusal;

    void extendName(String extensions) throws IOException, Refusal;

    byte[] randomBytes(int n) throws IOException, Refusal;

    byte[] sharedSecret(int n, String policy) throws IOException, Refusal;

    byte[] groupKey(List<Name> members, int n) throws IOException, Refusal;

    Signed attest(String statement) throws IOException, Refusal;

    byte[] seal(byte[] data, String policy) throws IOException, Refusal;

    Opened unseal(byte[] sealed) throws IOException, Refusal;

    long initCounter(String label) throws IOException, Refusal;

    long counter(String label) throws IOException, Refusal;

    byte[] rollbackProtectedSeal(String label, byte[] data, String policy) throws IOException, Refusal;

    Opened rollbackProtectedUnseal(byte[] sealed) throws IOException, Refusal;

    /**
     * The verified peer of the application's connection from {@code localPort} to
     * {@code remote}:{@code remotePort}, or null if the agent does not carry it over a Tao channel.
     */
    Name peer(int localPort, InetAddress remote, int remotePort) throws IOException;

    /** A principal name: its text and its canonical encoding (not secret). */
    record Name(String text, byte[] encoded) {
        public Name {
            Objects.requireNonNull(text, "text");
            encoded = encoded.clone();
        }
    }

    /** A serialized attestation and the statement it signs. */
    record Signed(byte[] attestation, String statement) {
        public Signed {
            attestation = attestation.clone();
            Objects.requireNonNull(statement, "statement");
        }
    }

    /**
     * An unsealed plaintext on its way to the application's {@code Unsealed}, which takes the array
     * over. Holds a secret: no {@code equals}, and {@code toString} shows none of it.
     */
    final class Opened {
        private final byte[] data;
        private final String policy;
        private final String label;
        private final long counter;

        /** Takes {@code data} over; {@code label} is null for an ordinary seal. */
        public Opened(byte[] data, String policy, String label, long counter) {
            this.data = Objects.requireNonNull(data, "data");
            this.policy = Objects.requireNonNull(policy, "policy");
            this.label = label;
            this.counter = counter;
        }

        /** The plaintext itself, not a copy: for the one receiver that takes it over. */
        public byte[] takeData() {
            return data;
        }

        public String policy() {
            return policy;
        }

        /** The label of a rollback-protected blob, or null. */
        public String label() {
            return label;
        }

        public long counter() {
            return counter;
        }

        @Override
        public String toString() {
            return "Opened[policy=" + policy + ", " + data.length + " bytes, redacted]";
        }
    }

    /** The Tao refused or a check failed; {@link #kind()} says which of the API's exceptions it is. */
    final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;

        /** Which exception of the Tao API this stands for. */
        public enum Kind {
            /** {@code TaoException} with this message. */
            REFUSED,
            /** {@code UnsealException}: one message for every cause. */
            UNSEAL,
            /** {@code StaleStateException} with {@link #counter()} and {@link #expected()}. */
            STALE,
            /** {@code GroupKeyRefusedException} with this message. */
            GROUP_REFUSED
        }

        private final Kind kind;
        private final long counter;
        private final long expected;

        public Refusal(Kind kind, String message, long counter, long expected) {
            super(message);
            this.kind = Objects.requireNonNull(kind, "kind");
            this.counter = counter;
            this.expected = expected;
        }

        public Kind kind() {
            return kind;
        }

        public long counter() {
            return counter;
        }

        public long expected() {
            return expected;
        }
    }
}
