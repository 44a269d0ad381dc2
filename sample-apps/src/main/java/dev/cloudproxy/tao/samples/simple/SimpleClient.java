package dev.cloudproxy.tao.samples.simple;

import dev.cloudproxy.tao.DecryptionException;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.channel.ProgramCredentials;
import dev.cloudproxy.tao.channel.RevocationChecker;
import dev.cloudproxy.tao.channel.TaoChannel;
import dev.cloudproxy.tao.channel.TaoChannels;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.paradigm.TaoParadigm;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

/**
 * The client of SimpleExample, run as a hosted program: gets its key and program certificate
 * through the Tao paradigm, opens a Tao channel to SimpleServer, receives its secret, checks that
 * it is its own name followed by {@code 43}, and stores it protected with its own keys
 * ({@code secret.protected} in its state directory). On a later run it first reads back the
 * secret it stored.
 *
 * <pre>
 * SimpleClient --policy-cert FILE --domain-service HOST:PORT --state DIR --server HOST:PORT [--host-cert FILE]
 *              [--export DIR]
 * </pre>
 *
 * <p>{@code --export DIR} also writes the client's certificate ({@code client.cert.pem}) and its
 * private key ({@code client.key.pem}, PKCS#8, mode 0600) for trying the server with other TLS
 * clients such as {@code openssl s_client}. That takes the key out of the Tao's protection: for
 * demonstrations only.
 */
public final class SimpleClient {
    static final String PROGRAM = "SimpleClient";
    /** The protected secret in the state directory. */
    public static final String SECRET_FILE = "secret.protected";
    private static final int MAX_SECRET_FILE = 64 * 1024;

    private SimpleClient() {}

    public static void main(String[] argv) {
        SimpleArgs args = null;
        try {
            args = SimpleArgs.parse(PROGRAM, argv,
                    Set.of("policy-cert", "domain-service", "state", "host-cert", "server", "export"));
            InetSocketAddress server = args.address("server");
            Path state = args.path("state");
            try (TaoParadigm paradigm = paradigm(args)) {
                System.out.println("name: " + paradigm.principal());
                System.out.println("certificate: serial " + paradigm.certificate().getSerialNumber().toString(16));
                Path stored = state.resolve(SECRET_FILE);
                if (Files.exists(stored)) {
                    byte[] old = paradigm.unprotect(AtomicFiles.readAtMost(stored, MAX_SECRET_FILE + 1));
                    System.out.println("stored secret: " + new String(old, StandardCharsets.UTF_8));
                }
                byte[] secret;
                try (TaoChannel channel = channels(paradigm, args).dial(server.getHostString(), server.getPort())) {
                    System.out.println("peer: " + channel.peer());
                    secret = channel.receive();
                }
                String expected = SimpleServer.secretFor(paradigm.principal());
                if (!Arrays.equals(secret, expected.getBytes(StandardCharsets.UTF_8))) {
                    args.fail(1, "the server sent a secret that is not this program's");
                    return;
                }
                AtomicFiles.writeOwnerOnly(stored.toAbsolutePath(), paradigm.protect(secret));
                System.out.println("secret: " + new String(secret, StandardCharsets.UTF_8));
                String export = args.optional("export", null);
                if (export != null) {
                    export(paradigm, Path.of(export));
                    System.out.println("exported: " + Path.of(export).resolve("client.cert.pem") + " and client.key.pem");
                }
            }
        } catch (SimpleArgs.UsageException e) {
            System.err.println(PROGRAM + ": " + e.getMessage());
            System.exit(2);
        } catch (DecryptionException e) {
            args.fail(1, "the stored secret does not open with this program's keys");
        } catch (TaoException | IOException e) {
            args.fail(1, e.getMessage());
        }
    }

    private static void export(TaoParadigm paradigm, Path dir) throws IOException {
        byte[] pkcs8 = paradigm.signer().toJcaPrivateKey().getEncoded();
        try {
            String pem = "-----BEGIN PRIVATE KEY-----\n"
                    + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(pkcs8)
                    + "\n-----END PRIVATE KEY-----\n";
            AtomicFiles.createPrivateDirectories(dir);
            AtomicFiles.writeOwnerOnly(dir.resolve("client.key.pem").toAbsolutePath(),
                    pem.getBytes(StandardCharsets.US_ASCII));
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
        }
        StringBuilder chain = new StringBuilder();
        for (var cert : paradigm.certificateChain()) {
            chain.append(dev.cloudproxy.tao.domain.ProgramCertificate.toPem(cert));
        }
        AtomicFiles.writeOwnerOnly(dir.resolve("client.cert.pem").toAbsolutePath(),
                chain.toString().getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Tao channels with the program's credentials that refuse a peer the domain has revoked: the
     * CRL comes from the same domain service as the certificate (fetched again every minute).
     */
    static TaoChannels channels(TaoParadigm paradigm, SimpleArgs args) throws SimpleArgs.UsageException, TaoException {
        return TaoChannels.builder(ProgramCredentials.of(paradigm.signer(), paradigm.certificateChain(),
                        paradigm.policyCertificate()))
                .revocation(RevocationChecker.fromDomainService(paradigm.policyCertificate(),
                        args.address("domain-service")).build())
                .build();
    }

    /** The Tao paradigm for a SimpleExample program, configured from its options. */
    static TaoParadigm paradigm(SimpleArgs args) throws SimpleArgs.UsageException, IOException, TaoException {
        return TaoParadigm.builder(CoreTao.parent(), args.path("state"))
                .policyCertificate(args.certificate("policy-cert"))
                .hostCertificates(args.certificates("host-cert"))
                .domainService(args.address("domain-service"))
                .open();
    }
}
