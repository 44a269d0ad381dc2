package dev.cloudproxy.tao.domainservice;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.domain.RevocationList;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CRLException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The domain service's state in a PostgreSQL database that several service replicas share (on one
 * machine or many): issued certificates, revocations, signed CRLs and audit records, one table per
 * concern (schema version {@value #SCHEMA_VERSION}, created at the first start and checked at every
 * later one; {@code docs/domain-service.md} draws it).
 *
 * <p>How it keeps the {@link CertificateStore} guarantees across replicas:
 * <ul>
 *   <li><b>Durable before sent.</b> Every connection runs with {@code synchronous_commit = on},
 *       and {@link #record} returns after the commit, so the certificate is in the database's
 *       write-ahead log on disk (as durable as the server's own {@code fsync} setting makes it).
 *   <li><b>Unique serials.</b> The serial is the primary key of {@code tao_issued}: a second
 *       certificate with a serial, from any replica, fails its insert ({@link DuplicateSerialException}).
 *   <li><b>Revocations and CRL numbers.</b> {@link #revoke} inserts the revocations and signs the
 *       next CRL in one transaction that first takes a lock on {@code tao_crl} that conflicts with
 *       itself, so writers take turns: each reads the newest CRL number and every revocation
 *       committed before it, and the CRL number is a primary key as well. The newest CRL therefore
 *       always lists every committed revocation, and any replica serves it on its next request.
 *   <li><b>Nothing trusted that the policy key did not sign.</b> A CRL read back is checked
 *       against the policy certificate before it is served or consulted; certificates found by
 *       principal are checked before they count. The database is trusted to keep what it was given
 *       (availability, consistency), not to keep secrets: it holds none.
 *   <li><b>One domain per database.</b> The schema records the policy principal; a service of
 *       another domain refuses to start on it ({@link StoreSchemaException}).
 * </ul>
 *
 * <p>Connections come from a bounded pool ({@code poolSize}); a caller waits at most
 * {@link #BORROW_TIMEOUT_SECONDS} s for one. Failures are typed: {@link StoreUnavailableException}
 * (cannot connect, pool exhausted), {@link StoreAuthenticationException} (credentials refused),
 * {@link StoreSchemaException}, {@link DuplicateSerialException}, else {@link StoreException}; no
 * message holds the password. Thread-safe.
 */
public final class PostgresStore implements DomainStore, CertificateStore, AuditSink {
    private static final System.Logger LOG = System.getLogger(PostgresStore.class.getName());
    /** The schema this code reads and writes. */
    public static final int SCHEMA_VERSION = 2;
    /** Most certificates committed in one transaction. */
    static final int MAX_BATCH = 512;
    /** Default connections per service. */
    public static final int DEFAULT_POOL_SIZE = 8;
    /** How long a caller waits for a pooled connection before the store counts as unavailable. */
    static final int BORROW_TIMEOUT_SECONDS = 5;
    /** Transactions retried after a serialization failure or deadlock before giving up. */
    private static final int MAX_TRANSACTION_ATTEMPTS = 5;
    /** Largest certificate kept (as the file store reads at most). */
    private static final int MAX_CERT_BYTES = 64 << 10;
    /** Arbitrary, fixed: serializes schema creation between replicas starting at once. */
    private static final long SCHEMA_LOCK = 0x7461_6f5f_7363_6801L;
    /** Arbitrary, fixed: audit writers of all replicas take turns, so each extends the newest chain value. */
    private static final long AUDIT_LOCK = 0x7461_6f5f_6175_6401L;

    private static final String SERIAL_CHECK = "CHECK (serial ~ '^[1-9a-f][0-9a-f]{0,39}$')";
    private static final List<String> SCHEMA = List.of(
            """
            CREATE TABLE tao_schema (
                singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                version integer NOT NULL,
                policy_principal text NOT NULL,
                created timestamptz NOT NULL DEFAULT now())""",
            "CREATE TABLE tao_issued (\n"
                    + "    serial text PRIMARY KEY " + SERIAL_CHECK + ",\n"
                    + "    principal text NOT NULL,\n"
                    + "    not_after timestamptz NOT NULL,\n"
                    + "    issued_at timestamptz NOT NULL DEFAULT now(),\n"
                    + "    replica text NOT NULL,\n"
                    + "    der bytea NOT NULL CHECK (octet_length(der) <= " + MAX_CERT_BYTES + "))",
            "CREATE INDEX tao_issued_by_principal ON tao_issued (principal)",
            "CREATE TABLE tao_revoked (\n"
                    + "    serial text PRIMARY KEY " + SERIAL_CHECK + ",\n"
                    + "    revoked_at timestamptz NOT NULL)",
            """
            CREATE TABLE tao_crl (
                number bigint PRIMARY KEY CHECK (number > 0),
                this_update timestamptz NOT NULL,
                next_update timestamptz NOT NULL,
                der bytea NOT NULL)""",
            """
            CREATE TABLE tao_audit (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                time timestamptz NOT NULL,
                replica text NOT NULL,
                peer text NOT NULL,
                decision text NOT NULL CHECK (decision IN ('issued', 'refused', 'bad-request', 'error')),
                principal text NOT NULL,
                serial text NOT NULL,
                reason text NOT NULL,
                chain text NOT NULL CHECK (chain ~ '^[0-9a-f]{64}$'))""");

    private final Domain domain;
    private final PostgresLocation location;
    private final Properties connectionProperties;
    private final String replica;
    private final Semaphore permits;
    private final int poolSize;
    // Guarded by itself: connections not in use.
    private final Deque<Connection> idle = new ArrayDeque<>();
    private volatile boolean closed;
    private final GroupCommit<Issue> commits = new GroupCommit<>(this::flush, MAX_BATCH,
            "the certificate and its audit record");
    // Guarded by this: the newest CRL read or signed, verified.
    private Crl newest;

    private record Crl(long number, X509CRL crl, Set<BigInteger> revoked) {}

    private PostgresStore(Domain domain, PostgresLocation location, Properties connectionProperties, int poolSize) {
        this.domain = domain;
        this.location = location;
        this.connectionProperties = connectionProperties;
        this.poolSize = poolSize;
        this.permits = new Semaphore(poolSize, true);
        this.replica = replicaName();
    }

    /**
     * Connects to the database at {@code location}, creates the schema if the database has none,
     * checks it otherwise, and makes sure a CRL exists.
     *
     * @param domain the domain, opened with its policy key (the store signs CRLs with it)
     * @param password the database password, or an empty array for none (peer or trust
     *     authentication); the store keeps its own copy for new connections, and the caller may
     *     clear its array
     * @param poolSize most connections open at once (at least 1)
     * @throws StoreUnavailableException if the database cannot be reached
     * @throws StoreAuthenticationException if it refuses the user or password
     * @throws StoreSchemaException if it holds another schema version or another domain's state
     */
    public static PostgresStore open(Domain domain, PostgresLocation location, char[] password, int poolSize)
            throws IOException {
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(password, "password");
        if (poolSize < 1) {
            throw new IllegalArgumentException("poolSize must be positive");
        }
        if (!domain.hasPolicyKey()) {
            throw new IllegalArgumentException("the domain must be opened with its policy key");
        }
        Properties p = new Properties();
        p.setProperty("user", location.user());
        if (password.length > 0) {
            // JDBC takes the password as a String; it lives as long as the store.
            p.setProperty("password", new String(password));
        }
        p.setProperty("sslmode", location.sslMode());
        p.setProperty("ApplicationName", "tao-domain-service");
        p.setProperty("connectTimeout", "5");
        p.setProperty("socketTimeout", "30");
        p.setProperty("tcpKeepAlive", "true");
        PostgresStore store = new PostgresStore(domain, location, p, poolSize);
        try {
            store.createOrCheckSchema();
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    /** Where the store is (no password). */
    public PostgresLocation location() {
        return location;
    }

    /** This replica's name in {@code tao_issued.replica} and {@code tao_audit.replica}: host and process id. */
    public String replica() {
        return replica;
    }

    private static String replicaName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "unknown-host";
        }
        return host + ":" + ProcessHandle.current().pid();
    }

    @Override
    public CertificateStore certificates() {
        return this;
    }

    @Override
    public AuditSink audit() {
        return this;
    }

    @Override
    public String description() {
        return "PostgreSQL " + location;
    }

    // ---- schema

    private void createOrCheckSchema() throws IOException {
        inTransaction(c -> {
            try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                lock.setLong(1, SCHEMA_LOCK);
                lock.execute();
            }
            boolean exists;
            try (Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT to_regclass('tao_schema') IS NOT NULL")) {
                r.next();
                exists = r.getBoolean(1);
            }
            String policy = domain.policyPrincipal().toString();
            if (!exists) {
                try (Statement s = c.createStatement()) {
                    for (String ddl : SCHEMA) {
                        s.execute(ddl);
                    }
                }
                try (PreparedStatement s = c.prepareStatement(
                        "INSERT INTO tao_schema (version, policy_principal) VALUES (?, ?)")) {
                    s.setInt(1, SCHEMA_VERSION);
                    s.setString(2, policy);
                    s.executeUpdate();
                }
                LOG.log(System.Logger.Level.INFO, "created the domain store schema version {0} in {1}",
                        SCHEMA_VERSION, location);
                return null;
            }
            try (Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT version, policy_principal FROM tao_schema")) {
                if (!r.next()) {
                    throw new StoreSchemaException(location + " has a tao_schema table with no row: it was not"
                            + " made by a domain service; use an empty database");
                }
                int version = r.getInt(1);
                if (version != SCHEMA_VERSION) {
                    throw new StoreSchemaException(location + " holds domain store schema version " + version
                            + ", and this service reads version " + SCHEMA_VERSION + ": run a service of the matching"
                            + " version, or use another database");
                }
                if (!policy.equals(r.getString(2))) {
                    throw new StoreSchemaException(location + " holds the state of another domain (policy "
                            + r.getString(2) + "): use one database per domain");
                }
            }
            return null;
        });
        latest(Instant.now());
    }

    // ---- certificates

    /** A certificate as {@code tao_issued} keeps it. */
    private record IssuedRow(String serial, String principal, X509Certificate cert, byte[] der) {}

    private IssuedRow row(X509Certificate cert) {
        try {
            Prin named = ProgramCertificate.verify(cert, domain.policyCertificate(), cert.getNotBefore().toInstant());
            return new IssuedRow(CertificateRegistry.serialText(cert.getSerialNumber()), named.toString(), cert,
                    cert.getEncoded());
        } catch (CertificateEncodingException | VerificationException e) {
            throw new IllegalArgumentException("not a certificate of this domain", e);
        }
    }

    private static final String INSERT_ISSUED =
            "INSERT INTO tao_issued (serial, principal, not_after, replica, der) VALUES (?, ?, ?, ?, ?)";

    private void bind(PreparedStatement s, IssuedRow row) throws SQLException {
        s.setString(1, row.serial());
        s.setString(2, row.principal());
        s.setObject(3, time(row.cert().getNotAfter().toInstant()));
        s.setString(4, replica);
        s.setBytes(5, row.der());
    }

    @Override
    public void record(X509Certificate cert) throws IOException {
        IssuedRow row = row(cert);
        inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement(INSERT_ISSUED)) {
                bind(s, row);
                s.executeUpdate();
            } catch (SQLException e) {
                if ("23505".equals(e.getSQLState())) {
                    throw new DuplicateSerialException("serial " + row.serial() + " is already recorded in " + location);
                }
                throw e;
            }
            return null;
        });
    }

    private record Issue(IssuedRow row, AuditRecord audit) {}

    /**
     * Commits in groups: the certificates issued while one transaction commits go together in the
     * next, with their audit records, so a batch costs one commit (one WAL flush) and one turn
     * of the audit lock.
     */
    @Override
    public void recordIssued(X509Certificate cert, AuditRecord record) throws IOException {
        commits.commit(new Issue(row(cert), record));
    }

    /** One transaction: every certificate (a serial already there refuses that one alone), then their audit records. */
    private List<IOException> flush(List<Issue> batch) throws IOException {
        return inTransaction(c -> {
            List<IOException> outcome = new ArrayList<>(batch.size());
            List<AuditRecord> audited = new ArrayList<>();
            int[] inserted;
            try (PreparedStatement s = c.prepareStatement(INSERT_ISSUED + " ON CONFLICT (serial) DO NOTHING")) {
                for (Issue i : batch) {
                    bind(s, i.row());
                    s.addBatch();
                }
                inserted = s.executeBatch();
            }
            for (int k = 0; k < batch.size(); k++) {
                if (inserted[k] == 0) {
                    outcome.add(new DuplicateSerialException("serial " + batch.get(k).row().serial()
                            + " is already recorded in " + location));
                } else {
                    outcome.add(null);
                    audited.add(batch.get(k).audit());
                }
            }
            appendAudit(c, audited);
            return outcome;
        });
    }

    @Override
    public Optional<X509Certificate> issued(BigInteger serial) throws IOException {
        byte[] der = inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT der FROM tao_issued WHERE serial = ?")) {
                s.setString(1, CertificateRegistry.serialText(serial));
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? r.getBytes(1) : null;
                }
            }
        });
        if (der == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(ProgramCertificate.parseDer(der));
        } catch (CertificateException e) {
            throw new StoreException("the certificate recorded for serial " + CertificateRegistry.serialText(serial)
                    + " in " + location + " does not parse", e);
        }
    }

    @Override
    public List<BigInteger> issuedTo(Prin principal) throws IOException {
        List<byte[]> found = inTransaction(c -> {
            List<byte[]> out = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT der FROM tao_issued WHERE principal = ?")) {
                s.setString(1, principal.toString());
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        out.add(r.getBytes(1));
                    }
                }
            }
            return out;
        });
        List<BigInteger> out = new ArrayList<>();
        for (byte[] der : found) {
            try {
                X509Certificate cert = ProgramCertificate.parseDer(der);
                // As the file store: the signature and shape count, not whether it expired since.
                if (ProgramCertificate.verify(cert, domain.policyCertificate(), cert.getNotBefore().toInstant())
                        .equals(principal)) {
                    out.add(cert.getSerialNumber());
                }
            } catch (CertificateException | VerificationException | RuntimeException e) {
                // Not one of ours (or damaged): it names nobody.
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    // ---- revocations and the CRL

    @Override
    public boolean isRevoked(BigInteger serial) throws IOException, VerificationException {
        // The signed list, not the table: an entry deleted from tao_revoked alone un-revokes nothing.
        return latest(Instant.now()).revoked().contains(serial);
    }

    @Override
    public List<BigInteger> revoke(Collection<BigInteger> serials, Instant now) throws IOException {
        Set<BigInteger> wanted = new LinkedHashSet<>(serials);
        return inTransaction(c -> {
            lockCrl(c);
            List<BigInteger> added = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO tao_revoked (serial, revoked_at) VALUES (?, ?) ON CONFLICT (serial) DO NOTHING")) {
                for (BigInteger serial : wanted) {
                    s.setString(1, CertificateRegistry.serialText(serial));
                    s.setObject(2, time(now));
                    if (s.executeUpdate() == 1) {
                        added.add(serial);
                    }
                }
            }
            Crl previous = readNewest(c);
            if (!added.isEmpty() || previous == null) {
                sign(c, previous, now);
            }
            return added;
        });
    }

    @Override
    public X509CRL currentCrl(Instant now) throws IOException, VerificationException {
        return latest(now).crl();
    }

    /** The newest CRL, signing the next one first if it is due. */
    private Crl latest(Instant now) throws IOException {
        Crl crl = inTransaction(this::readNewest);
        if (crl != null && fresh(crl.crl(), now)) {
            return crl;
        }
        return inTransaction(c -> {
            lockCrl(c);
            Crl again = readNewest(c);
            if (again != null && (crl == null || again.number() != crl.number())) {
                return again; // another replica signed one meanwhile
            }
            return sign(c, again, now);
        });
    }

    private static boolean fresh(X509CRL crl, Instant now) {
        return crl.getNextUpdate().toInstant().isAfter(now.plus(CertificateRegistry.CRL_VALIDITY.dividedBy(2)))
                && !crl.getThisUpdate().toInstant().isAfter(now.plusSeconds(60));
    }

    /** Makes CRL writers take turns (the mode conflicts with itself, not with readers). */
    private static void lockCrl(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("LOCK TABLE tao_crl IN SHARE ROW EXCLUSIVE MODE");
        }
    }

    /** The newest CRL in the database, verified (parsed once per number); null if there is none. */
    private Crl readNewest(Connection c) throws SQLException, StoreException {
        long number;
        byte[] der;
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT number, der FROM tao_crl ORDER BY number DESC LIMIT 1")) {
            if (!r.next()) {
                return null;
            }
            number = r.getLong(1);
            der = r.getBytes(2);
        }
        synchronized (this) {
            if (newest != null && newest.number() == number) {
                return newest;
            }
        }
        X509CRL crl;
        try {
            crl = RevocationList.verifySignature(der, domain.policyCertificate());
        } catch (VerificationException | RuntimeException e) {
            throw new StoreException("CRL number " + number + " in " + location
                    + " is not signed by this domain's policy key: the database was altered", e);
        }
        if (!RevocationList.number(crl).equals(BigInteger.valueOf(number))) {
            throw new StoreException("CRL number " + number + " in " + location + " carries another number inside:"
                    + " the database was altered");
        }
        return remember(number, crl);
    }

    /** Signs and inserts the CRL after {@code previous} with every recorded revocation; the caller holds the lock. */
    private Crl sign(Connection c, Crl previous, Instant now) throws SQLException, StoreException {
        TreeMap<BigInteger, RevocationList.Entry> entries = new TreeMap<>();
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT serial, revoked_at FROM tao_revoked")) {
            while (r.next()) {
                BigInteger serial = new BigInteger(r.getString(1), 16);
                entries.put(serial, new RevocationList.Entry(serial,
                        r.getObject(2, OffsetDateTime.class).toInstant()));
            }
        }
        long number = previous == null ? 1 : Math.addExact(previous.number(), 1);
        X509CRL crl = domain.issueRevocationList(entries.values(), BigInteger.valueOf(number), now.minusSeconds(60),
                now.plus(CertificateRegistry.CRL_VALIDITY));
        try (PreparedStatement s = c.prepareStatement(
                "INSERT INTO tao_crl (number, this_update, next_update, der) VALUES (?, ?, ?, ?)")) {
            s.setLong(1, number);
            s.setObject(2, time(crl.getThisUpdate().toInstant()));
            s.setObject(3, time(crl.getNextUpdate().toInstant()));
            s.setBytes(4, crl.getEncoded());
            s.executeUpdate();
        } catch (CRLException e) {
            throw new IllegalStateException("a CRL just signed does not encode", e);
        }
        // Remembered only once committed: see inTransaction's caller, which returns it after commit.
        return new Crl(number, crl, serials(crl));
    }

    private synchronized Crl remember(long number, X509CRL crl) {
        if (newest == null || newest.number() < number) {
            newest = new Crl(number, crl, serials(crl));
            return newest;
        }
        return newest.number() == number ? newest : new Crl(number, crl, serials(crl));
    }

    private static Set<BigInteger> serials(X509CRL crl) {
        Set<BigInteger> out = new HashSet<>();
        for (RevocationList.Entry e : RevocationList.entries(crl)) {
            out.add(e.serial());
        }
        return Set.copyOf(out);
    }

    // ---- audit

    @Override
    public IOException record(Instant time, String peer, AuditLog.Decision decision, String principal, String serial,
            String reason) {
        AuditRecord record = new AuditRecord(time, peer, decision, principal, serial, reason);
        try {
            inTransaction(c -> {
                appendAudit(c, List.of(record));
                return null;
            });
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    /**
     * Inserts {@code records} chained after the newest one, in the caller's transaction, holding
     * the audit lock until it ends, so writers of every replica extend the newest chain value.
     */
    private void appendAudit(Connection c, List<AuditRecord> records) throws SQLException {
        if (records.isEmpty()) {
            return;
        }
        try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
            lock.setLong(1, AUDIT_LOCK);
            lock.execute();
        }
        byte[] previous = AuditChain.genesis();
        try (Statement q = c.createStatement();
                ResultSet r = q.executeQuery("SELECT chain FROM tao_audit ORDER BY id DESC LIMIT 1")) {
            if (r.next()) {
                previous = AuditChain.parseValue(r.getString(1)).orElseThrow(
                        () -> new SQLException("tao_audit holds a malformed chain value"));
            }
        }
        try (PreparedStatement s = c.prepareStatement("INSERT INTO tao_audit (time, replica, peer, decision,"
                + " principal, serial, reason, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (AuditRecord given : records) {
                // Stored to the microsecond: the chained record is what auditLines gives back.
                AuditRecord stored = new AuditRecord(given.time().truncatedTo(ChronoUnit.MICROS), given.peer(),
                        given.decision(), given.principal(), given.serial(), given.reason());
                String record = stored.text();
                String[] fields = record.split("\t", -1);
                s.setObject(1, time(stored.time()));
                s.setString(2, replica);
                for (int i = 1; i < fields.length; i++) {
                    s.setString(2 + i, fields[i]);
                }
                previous = AuditChain.next(previous, record);
                s.setString(8, AuditChain.hex(previous));
                s.addBatch();
            }
            s.executeBatch();
        }
    }

    /** The serials of every certificate recorded as issued (hex, as in the audit records). */
    public List<String> issuedSerials() throws IOException {
        return inTransaction(c -> {
            List<String> out = new ArrayList<>();
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT serial FROM tao_issued")) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
            return out;
        });
    }

    /** Audit records in the order they were committed, as lines in the {@link AuditLog}'s format (tests, forensics). */
    public List<String> auditLines() throws IOException {
        return inTransaction(c -> {
            List<String> out = new ArrayList<>();
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT time, peer, decision,"
                    + " principal, serial, reason, chain FROM tao_audit ORDER BY id")) {
                while (r.next()) {
                    out.add(String.join("\t", r.getObject(1, OffsetDateTime.class).toInstant().toString(),
                            r.getString(2), r.getString(3), r.getString(4), r.getString(5), r.getString(6),
                            r.getString(7)));
                }
            }
            return out;
        });
    }

    // ---- connections and transactions

    private interface Work<T> {
        T run(Connection c) throws SQLException, IOException;
    }

    /**
     * Runs {@code work} in one READ COMMITTED transaction on a pooled connection and commits;
     * retries it on a serialization failure or deadlock; translates failures to typed exceptions.
     */
    private <T> T inTransaction(Work<T> work) throws StoreException {
        for (int attempt = 1; ; attempt++) {
            Connection c = borrow();
            boolean broken = true;
            try {
                T result = work.run(c);
                c.commit();
                broken = false;
                if (result instanceof Crl crl) {
                    remember(crl.number(), crl.crl());
                }
                return result;
            } catch (SQLException e) {
                rollbackQuietly(c);
                broken = isConnectionFailure(e);
                String state = e.getSQLState();
                if (("40001".equals(state) || "40P01".equals(state)) && attempt < MAX_TRANSACTION_ATTEMPTS) {
                    continue;
                }
                throw translate(e);
            } catch (StoreException e) {
                rollbackQuietly(c);
                broken = false;
                throw e;
            } catch (IOException e) {
                rollbackQuietly(c);
                broken = false;
                throw new StoreException(e.getMessage(), e);
            } catch (RuntimeException | Error e) {
                rollbackQuietly(c);
                throw e;
            } finally {
                giveBack(c, broken);
            }
        }
    }

    private Connection borrow() throws StoreException {
        if (closed) {
            throw new StoreUnavailableException("the store " + location + " is closed");
        }
        try {
            if (!permits.tryAcquire(BORROW_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new StoreUnavailableException("all " + poolSize + " connections to " + location + " stayed busy for "
                        + BORROW_TIMEOUT_SECONDS + " s: the database is slow or the pool too small");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("interrupted while waiting for a connection to " + location);
        }
        Connection c;
        synchronized (idle) {
            c = idle.pollFirst();
        }
        if (c != null) {
            return c;
        }
        try {
            return connect();
        } catch (StoreException | RuntimeException e) {
            permits.release();
            throw e;
        }
    }

    private void giveBack(Connection c, boolean broken) {
        try {
            if (broken || closed) {
                closeQuietly(c);
            } else {
                synchronized (idle) {
                    idle.addFirst(c);
                }
            }
        } finally {
            permits.release();
        }
    }

    private Connection connect() throws StoreException {
        Connection c;
        try {
            c = new org.postgresql.Driver().connect(location.jdbcUrl(), connectionProperties);
        } catch (SQLException e) {
            throw translate(e);
        }
        if (c == null) {
            throw new StoreException("the PostgreSQL driver does not accept " + location.jdbcUrl());
        }
        try (Statement s = c.createStatement()) {
            // Durable before sent, whatever the server's default: the commit waits for the WAL flush.
            s.execute("SET synchronous_commit TO on");
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            c.setAutoCommit(false);
            c.commit();
            return c;
        } catch (SQLException e) {
            closeQuietly(c);
            throw translate(e);
        }
    }

    private static boolean isConnectionFailure(SQLException e) {
        String state = e.getSQLState();
        return state == null || state.startsWith("08") || state.startsWith("57P") || state.startsWith("53");
    }

    /** A typed exception with the remedy; never the password (the driver's messages do not hold it). */
    private StoreException translate(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.startsWith("28")) {
            return new StoreAuthenticationException("PostgreSQL at " + location.host() + ":" + location.port()
                    + " refused user " + location.user() + " (SQLSTATE " + state + "): check the user in the store"
                    + " address and the password's source (environment variable or file)");
        }
        if (state.equals("3D000")) {
            return new StoreUnavailableException("PostgreSQL at " + location.host() + ":" + location.port()
                    + " has no database " + location.database() + ": create it (createdb -O " + location.user() + " "
                    + location.database() + ")", e);
        }
        if (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53")) {
            return new StoreUnavailableException("cannot use PostgreSQL at " + location.host() + ":" + location.port()
                    + " (" + e.getMessage() + "): start the database or check the store address", e);
        }
        return new StoreException("PostgreSQL at " + location + " failed (SQLSTATE " + state + "): " + e.getMessage(), e);
    }

    private static OffsetDateTime time(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // The connection is closed or broken; it is dropped from the pool.
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // Nothing more to release.
        }
    }

    /** Closes the pooled connections; calls after this fail with {@link StoreUnavailableException}. */
    @Override
    public void close() {
        closed = true;
        synchronized (idle) {
            for (Connection c : idle) {
                closeQuietly(c);
            }
            idle.clear();
        }
        connectionProperties.remove("password");
    }

    @Override
    public String toString() {
        return "PostgresStore[" + location + ", replica " + replica + "]";
    }
}
