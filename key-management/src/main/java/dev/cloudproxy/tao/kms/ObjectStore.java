package dev.cloudproxy.tao.kms;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Where links live: storage nobody needs to trust. A store keeps opaque bytes under an
 * {@link ObjectId} and one rewrap journal; it never sees key material in clear, and whatever it
 * returns is checked by {@link ProtectedObjects} (a link filed under the wrong id, altered or
 * truncated is refused). A hostile store can withhold or roll back data, not disclose or forge it.
 *
 * <p>Implementations: {@link DirectoryStore} (one file per link); a database store for the secret
 * service's replicas can come later behind the same interface.
 *
 * <p>{@link #put} must be atomic and durable when it returns: after a crash the old bytes or the
 * new ones are there, never a mixture. That is what lets a rewrap be killed at any point.
 */
public interface ObjectStore {
    /** Atomically and durably replaces (or creates) the link stored under {@code id}. */
    void put(ObjectId id, byte[] link) throws IOException;

    /** The bytes stored under {@code id}, if any, at most one byte more than {@link Link#MAX_BYTES}
     * (so the caller can refuse an oversized link). */
    Optional<byte[]> get(ObjectId id) throws IOException;

    /** Every id with a stored link, in {@link ObjectId} order. */
    List<ObjectId> list() throws IOException;

    /** Atomically and durably replaces (or creates) the rewrap journal. */
    void putJournal(byte[] journal) throws IOException;

    /** The rewrap journal, if one is stored. */
    Optional<byte[]> getJournal() throws IOException;

    /** Durably removes the rewrap journal; does nothing if there is none. */
    void deleteJournal() throws IOException;
}
