package dev.cloudproxy.tao.launch;

import dev.cloudproxy.tao.AttestRequest;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domain.PolicyCertificate;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.rpc.RpcTao;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * An interactive hosted program for the tests: attests a fresh TLS key with its Tao, listens with
 * it (or, with the argument {@code other-key}, with another key than the one it announced),
 * prints {@link LaunchService#READY} (with {@code unattested-key}, naming another key than the
 * one it attested), and echoes one line to one client.
 */
public final class InteractiveEchoMain {
    private InteractiveEchoMain() {}

    public static void main(String[] args) throws Exception {
        try (RpcTao tao = RpcTao.parent(); Signer key = Signer.generate(); Signer other = Signer.generate()) {
            Prin name = tao.getTaoName();
            Attestation attested = tao.attest(AttestRequest.of(new Speaksfor(key.principal(), name)));
            Signer served = args.length > 0 && args[0].equals("other-key") ? other : key;
            X509Certificate cert = PolicyCertificate.create(served, "interactive", DomainTemplate.X509Details.NONE, 1);
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            char[] pw = "x".toCharArray();
            ks.setKeyEntry("k", served.toJcaPrivateKey(), pw, new X509Certificate[] {cert});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pw);
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(kmf.getKeyManagers(), null, null);
            try (SSLServerSocket server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 4,
                    InetAddress.getLoopbackAddress())) {
                HexFormat hex = HexFormat.of();
                System.out.println(LaunchService.READY + " " + server.getLocalPort() + " "
                        + hex.formatHex(attested.serialize()) + " " + hex.formatHex(
                                (args.length > 0 && args[0].equals("unattested-key") ? other : key).verifier().pkix()));
                System.out.flush();
                server.setSoTimeout(60_000);
                try (Socket s = server.accept()) {
                    String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
                            .readLine();
                    OutputStream out = s.getOutputStream();
                    out.write(("echo " + line + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                } catch (java.io.IOException e) {
                    // A client that aborted its handshake: nothing to echo.
                }
            }
        }
    }
}
