package dev.cloudproxy.tao.channel;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Prin;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OpenSSL's command-line client against a Tao listener (fails, naming the package, without an openssl binary). */
class OpenSslInteropTest {
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private TestDomain domain;
    private Process process;

    @TempDir
    Path tmp;

    @BeforeEach
    void setUp() {
        domain = TestDomain.create("Test Domain");
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        executor.shutdownNow();
        assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        domain.close();
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private Process sClient(int port, List<String> extra) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of("openssl", "s_client", "-connect",
                "127.0.0.1:" + port, "-tls1_3", "-brief"));
        command.addAll(extra);
        try {
            return new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("openssl is not installed, and this test uses it as an independent TLS/X.509 implementation:"
                    + " install it (Debian/Ubuntu: apt-get install -y openssl) and run again", e);
        }
    }

    private Future<String> readUntil(InputStream in, String marker) {
        return executor.submit(() -> {
            ByteArrayOutputStream seen = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                seen.write(b);
                if (seen.toString(US_ASCII).contains(marker)) {
                    break;
                }
            }
            return seen.toString(US_ASCII);
        });
    }

    @Test
    void sClient_withTheProgramsCertificateAndKey_connects() throws Exception {
        TestDomain.Issued client = domain.issue(domain.nextPrincipal(), Instant.now(), Duration.ofDays(1));
        Path cert = Files.writeString(tmp.resolve("client.pem"), pem("CERTIFICATE", client.certificate().getEncoded()));
        Path key = tmp.resolve("client.key");
        Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(key, pem("PRIVATE KEY", client.key().toJcaPrivateKey().getEncoded()));
        try (TaoListener listener = TaoChannels.of(domain.program()).listen(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            Future<Prin> served = executor.submit(() -> {
                try (TaoChannel c = listener.accept()) {
                    c.send("hello openssl".getBytes(US_ASCII));
                    return c.peer();
                }
            });
            process = sClient(listener.port(), List.of("-cert", cert.toString(), "-key", key.toString()));
            Future<String> output = readUntil(process.getInputStream(), "hello openssl");

            assertThat(served.get(20, TimeUnit.SECONDS)).isEqualTo(client.principal());
            assertThat(output.get(20, TimeUnit.SECONDS)).contains("TLSv1.3").contains("hello openssl");
        }
    }

    @Test
    void sClient_withoutACertificate_isRefused() throws Exception {
        try (TaoListener listener = TaoChannels.of(domain.program()).listen(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            Future<TaoChannel> served = executor.submit(listener::accept);
            process = sClient(listener.port(), List.of());
            readUntil(process.getInputStream(), "\u0000");

            java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> served.get(20, TimeUnit.SECONDS));
            assertThat(e.getCause()).isInstanceOf(SSLHandshakeException.class);
        }
    }
}
