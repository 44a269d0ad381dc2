package dev.cloudproxy.tao.domainservice;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.Prin;
import java.io.IOException;
import java.math.BigInteger;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * What a domain has issued and revoked: the certificates by serial and by principal, the
 * revocations and the signed CRL. Two implementations: {@link CertificateRegistry} (files in the
 * domain directory, the default) and the PostgreSQL store ({@link PostgresStore}) that several
 * service replicas share.
 *
 * <p>Guarantees every implementation keeps:
 * <ul>
 *   <li>{@link #record} returns only once the certificate is durably stored, so a certificate a
 *       client holds is always one the domain can find and revoke; a serial already recorded is a
 *       {@link DuplicateSerialException} and changes nothing, so no two certificates ever share a
 *       serial, whichever replica issued them.
 *   <li>{@link #revoke} never loses a revocation made concurrently by another writer (another
 *       thread, process or replica), and every CRL it or {@link #currentCrl} signs has a CRL
 *       number greater than every earlier one.
 *   <li>Revocations recorded by any writer are in the CRL {@link #currentCrl} returns on its next
 *       call, and {@link #isRevoked} sees them at once.
 *   <li>The store holds no secret: certificates, serials and CRLs are public, and everything is
 *       signed by the policy key, which never leaves the service. A CRL or certificate read back
 *       from storage is checked against the policy certificate before it is trusted.
 * </ul>
 *
 * <p>Implementations are thread-safe.
 */
public interface CertificateStore {
    /**
     * Records an issued certificate durably, before it is sent to anyone.
     *
     * @throws DuplicateSerialException if a certificate with this serial is already recorded
     * @throws IOException if it cannot be recorded (then it must not be sent)
     */
    void record(X509Certificate cert) throws IOException;

    /** The issued certificate with this serial, if one was recorded. */
    Optional<X509Certificate> issued(BigInteger serial) throws IOException;

    /**
     * The serials, in ascending order, of every recorded certificate that names {@code principal}
     * and was issued by the policy key (checked, whether or not it has expired since).
     */
    List<BigInteger> issuedTo(Prin principal) throws IOException;

    /** Whether {@code serial} is revoked (as last recorded by any writer). */
    boolean isRevoked(BigInteger serial) throws IOException, VerificationException;

    /**
     * Revokes {@code serials} at {@code now}: records those not yet revoked and signs a CRL with
     * the next CRL number. Returns the serials newly revoked (possibly none, and then no CRL is
     * signed unless there was none yet).
     */
    List<BigInteger> revoke(Collection<BigInteger> serials, Instant now) throws IOException, VerificationException;

    /**
     * The current CRL, holding every revocation recorded so far: the last one signed if it is
     * valid for at least half of {@link CertificateRegistry#CRL_VALIDITY} more, else a freshly
     * signed one with the same entries and the next number.
     */
    X509CRL currentCrl(Instant now) throws IOException, VerificationException;
}
