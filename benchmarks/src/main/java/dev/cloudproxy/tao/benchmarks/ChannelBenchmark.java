package dev.cloudproxy.tao.benchmarks;

import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.channel.AttestedChannels;
import dev.cloudproxy.tao.channel.AttestedCredentials;
import dev.cloudproxy.tao.channel.GroupKeySource;
import dev.cloudproxy.tao.channel.PskChannels;
import dev.cloudproxy.tao.channel.ProgramCredentials;
import dev.cloudproxy.tao.channel.TaoChannel;
import dev.cloudproxy.tao.channel.TaoChannels;
import dev.cloudproxy.tao.channel.TaoListener;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domain.PolicyCertificate;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.soft.SoftTao;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Tao channel setup and bulk transfer over loopback, beside plain JDK mutual TLS 1.3 in the same
 * run: the JDK's own key manager (PKCS#12, JDK EC key) and PKIX trust manager (the policy
 * certificate as the one trust anchor), over the same P-256 certificates.
 *
 * <p>Setup is connect, the handshake, the peer checks, and one 1-byte message echoed (so both sides
 * have finished and the client has read the session ticket), then close. "Full" invalidates the
 * client's session after each connection so that the next one cannot resume; "resumed" keeps it.
 * The servers run in this JVM, one thread each, accepting and echoing inline. Bulk is one 1 MiB
 * message and a 2-byte acknowledgement on an open connection.
 *
 * <p>The PSK mode ({@link PskChannels}) has no resumption: every setup is a full handshake (PSK
 * with x25519). Its key source here returns a fixed group key, as a Tao's {@code getGroupKey}
 * would, without the cost of asking a host for it (one host RPC on each side, see
 * {@code HostRpcBenchmark}).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar ChannelBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ChannelBenchmark {
    private static final int BULK_BYTES = 1 << 20;
    private static final String HOST = InetAddress.getLoopbackAddress().getHostAddress();
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final List<Signer> keys = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private Signer policyKey;
    private X509Certificate policyCert;

    private TaoChannels taoClient;
    private TaoChannels taoJcaClient;
    private int taoPort;
    private AttestedChannels attestedClient;
    private int attestedPort;
    private SSLContext jdkClient;
    private int jdkPort;
    private PskChannels pskClient;
    private Prin pskServerName;
    private int pskPort;

    private TaoChannel taoBulk;
    private TaoChannel pskBulk;
    private SSLSocket jdkBulk;
    private byte[] bulk;
    private final byte[] one = {42};

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        policyKey = Signer.generate();
        policyCert = PolicyCertificate.create(policyKey, "Benchmark Domain", DomainTemplate.X509Details.NONE, 30);

        ProgramCredentials server = credentials(1);
        ProgramCredentials client = credentials(2);
        TaoChannels taoServer = TaoChannels.of(server);
        taoClient = TaoChannels.of(client);
        TaoListener taoListener = taoServer.listen(LOOPBACK);
        taoPort = taoListener.port();
        serve("tao-echo", taoListener, false);

        Issued jca = issue(3);
        taoJcaClient = TaoChannels.of(ProgramCredentials.of(jca.key.toJcaPrivateKey(), List.of(jca.cert), policyCert));

        SoftTao serverTao = softProgram(1);
        SoftTao clientTao = softProgram(2);
        AttestedCredentials attestedServer = AttestedCredentials.create(serverTao);
        AttestedCredentials attestedClientCredentials = AttestedCredentials.create(clientTao);
        closeables.add(attestedServer);
        closeables.add(attestedClientCredentials);
        TaoListener attestedListener = AttestedChannels.builder(attestedServer)
                .trustRoot(clientTao.rootName()).build().listen(LOOPBACK);
        attestedPort = attestedListener.port();
        serve("attested-echo", attestedListener, false);
        attestedClient = AttestedChannels.builder(attestedClientCredentials).trustRoot(serverTao.rootName()).build();

        Issued jdkServerId = issue(4);
        Issued jdkClientId = issue(5);
        SSLContext jdkServer = jdkContext(jdkServerId);
        jdkClient = jdkContext(jdkClientId);
        SSLServerSocket jdkListener = (SSLServerSocket) jdkServer.getServerSocketFactory().createServerSocket(
                0, 50, InetAddress.getLoopbackAddress());
        jdkListener.setNeedClientAuth(true);
        jdkListener.setEnabledProtocols(new String[] {"TLSv1.3"});
        jdkPort = jdkListener.getLocalPort();
        serveJdk("jdk-echo", jdkListener, false);

        byte[] groupKey = new byte[GroupKeySource.KEY_BYTES];
        new SecureRandom().nextBytes(groupKey);
        GroupKeySource ancestor = members -> groupKey.clone();
        pskServerName = programName(6);
        PskChannels pskServer = PskChannels.builder(pskServerName, ancestor).build();
        pskClient = PskChannels.builder(programName(7), ancestor).build();
        TaoListener pskListener = pskServer.listen(LOOPBACK);
        pskPort = pskListener.port();
        serve("psk-echo", pskListener, false);

        bulk = new byte[BULK_BYTES];
        new SecureRandom().nextBytes(bulk);
        TaoListener taoBulkListener = taoServer.listen(LOOPBACK);
        serve("tao-bulk", taoBulkListener, true);
        taoBulk = taoClient.dial(HOST, taoBulkListener.port());
        TaoListener pskBulkListener = pskServer.listen(LOOPBACK);
        serve("psk-bulk", pskBulkListener, true);
        pskBulk = pskClient.dial(HOST, pskBulkListener.port(), pskServerName);
        SSLServerSocket jdkBulkListener = (SSLServerSocket) jdkServer.getServerSocketFactory().createServerSocket(
                0, 50, InetAddress.getLoopbackAddress());
        jdkBulkListener.setNeedClientAuth(true);
        jdkBulkListener.setEnabledProtocols(new String[] {"TLSv1.3"});
        serveJdk("jdk-bulk", jdkBulkListener, true);
        jdkBulk = jdkDial(jdkBulkListener.getLocalPort());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        taoBulk.close();
        pskBulk.close();
        jdkBulk.close();
        for (AutoCloseable c : closeables) {
            c.close();
        }
        for (Thread t : threads) {
            t.join(10_000);
        }
        keys.forEach(Signer::close);
        policyKey.close();
    }

    private record Issued(Signer key, X509Certificate cert) {}

    private Issued issue(int n) {
        Signer key = Signer.generate();
        keys.add(key);
        return new Issued(key, ProgramCertificate.issue(policyKey, policyCert, key.verifier(), programName(n),
                Duration.ofDays(1), Instant.now()));
    }

    private static Prin programName(int n) {
        byte[] hash = new byte[32];
        hash[0] = (byte) n;
        return Prin.key(new byte[32]).extend(PrinExt.of("Program", new Bytes(hash)));
    }

    private ProgramCredentials credentials(int n) throws Exception {
        Issued i = issue(n);
        return ProgramCredentials.of(i.key, List.of(i.cert), policyCert);
    }

    private SoftTao softProgram(int n) {
        SoftTao tao = SoftTao.ephemeral();
        byte[] hash = new byte[32];
        hash[0] = (byte) n;
        tao.extendTaoName(SubPrin.of(PrinExt.of("Program", new Bytes(hash))));
        closeables.add(tao);
        return tao;
    }

    /** Plain JDK mutual TLS: PKCS#12 key store, PKIX trust anchored at the policy certificate. */
    private SSLContext jdkContext(Issued id) throws Exception {
        char[] pw = "bench".toCharArray();
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        keyStore.load(null, null);
        keyStore.setKeyEntry("me", id.key.toJcaPrivateKey(), pw, new X509Certificate[] {id.cert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keyStore, pw);
        KeyStore trustStore = KeyStore.getInstance("PKCS12");
        trustStore.load(null, null);
        trustStore.setCertificateEntry("policy", policyCert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trustStore);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    private void serve(String name, TaoListener listener, boolean bulkServer) {
        closeables.add(listener);
        start(name, () -> {
            while (!listener.isClosed()) {
                try (TaoChannel c = listener.accept()) {
                    do {
                        byte[] m = c.receive();
                        c.send(bulkServer ? new byte[] {'o', 'k'} : m);
                    } while (bulkServer);
                } catch (IOException e) {
                    // a client went away, or the listener closed
                }
            }
        });
    }

    private void serveJdk(String name, SSLServerSocket listener, boolean bulkServer) {
        closeables.add(listener);
        start(name, () -> {
            while (!listener.isClosed()) {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                    s.setTcpNoDelay(true);
                    s.startHandshake();
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    OutputStream out = s.getOutputStream();
                    do {
                        byte[] m = readFrame(in);
                        writeFrame(out, bulkServer ? new byte[] {'o', 'k'} : m);
                    } while (bulkServer);
                } catch (IOException e) {
                    // a client went away, or the listener closed
                }
            }
        });
    }

    /** The server threads, for {@link ChannelCpuCost}. */
    List<Thread> serverThreads() {
        return List.copyOf(threads);
    }

    private void start(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        threads.add(t);
    }

    private static byte[] readFrame(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > BULK_BYTES) {
            throw new IOException("bad frame");
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    private static void writeFrame(OutputStream out, byte[] m) throws IOException {
        int n = m.length;
        byte[] header = {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n};
        if (n <= 16 * 1024) {
            byte[] frame = new byte[4 + n];
            System.arraycopy(header, 0, frame, 0, 4);
            System.arraycopy(m, 0, frame, 4, n);
            out.write(frame);
        } else {
            out.write(header);
            out.write(m);
        }
        out.flush();
    }

    private SSLSocket jdkDial(int port) throws IOException {
        SSLSocket s = (SSLSocket) jdkClient.getSocketFactory().createSocket();
        s.setTcpNoDelay(true);
        s.setEnabledProtocols(new String[] {"TLSv1.3"});
        s.connect(new InetSocketAddress(HOST, port));
        s.startHandshake();
        return s;
    }

    private byte[] taoSetup(TaoChannels channels, boolean full) throws IOException {
        try (TaoChannel c = channels.dial(HOST, taoPort)) {
            c.send(one);
            byte[] echo = c.receive();
            if (full) {
                c.session().invalidate();
            }
            return echo;
        }
    }

    private byte[] jdkSetup(boolean full) throws IOException {
        try (SSLSocket s = jdkDial(jdkPort)) {
            writeFrame(s.getOutputStream(), one);
            byte[] echo = readFrame(new DataInputStream(s.getInputStream()));
            if (full) {
                s.getSession().invalidate();
            }
            return echo;
        }
    }

    @Benchmark
    public byte[] setupFullTao() throws IOException {
        return taoSetup(taoClient, true);
    }

    @Benchmark
    public byte[] setupFullTaoJcaKey() throws IOException {
        return taoSetup(taoJcaClient, true);
    }

    @Benchmark
    public byte[] setupFullJdk() throws IOException {
        return jdkSetup(true);
    }

    @Benchmark
    public byte[] setupResumedTao() throws IOException {
        return taoSetup(taoClient, false);
    }

    @Benchmark
    public byte[] setupResumedJdk() throws IOException {
        return jdkSetup(false);
    }

    @Benchmark
    public byte[] setupFullAttested() throws IOException {
        try (TaoChannel c = attestedClient.dial(HOST, attestedPort)) {
            c.send(one);
            byte[] echo = c.receive();
            c.session().invalidate();
            return echo;
        }
    }

    @Benchmark
    public byte[] setupPsk() throws IOException {
        try (TaoChannel c = pskClient.dial(HOST, pskPort, pskServerName)) {
            c.send(one);
            return c.receive();
        }
    }

    @Benchmark
    public byte[] bulk1MiBPsk() throws IOException {
        pskBulk.send(bulk);
        return pskBulk.receive();
    }

    @Benchmark
    public byte[] bulk1MiBTao() throws IOException {
        taoBulk.send(bulk);
        return taoBulk.receive();
    }

    @Benchmark
    public byte[] bulk1MiBJdk() throws IOException {
        writeFrame(jdkBulk.getOutputStream(), bulk);
        return readFrame(new DataInputStream(jdkBulk.getInputStream()));
    }
}
