package dev.cloudproxy.tao.launcher.apps.oldlibs;

import com.google.protobuf.Timestamp;
import dev.cloudproxy.tao.SealPolicy;
import dev.cloudproxy.tao.Tao;
import dev.cloudproxy.tao.Unsealed;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * An app that bundles its own (old) BouncyCastle and protobuf, the libraries the agent's tier 3
 * uses in other versions, and calls the Tao through {@code tao-api}. Prints where each library
 * came from, a SHA-256 by its BouncyCastle, a protobuf round trip, its Tao name and a seal
 * round trip.
 */
public final class OldLibrariesApp {
    private OldLibrariesApp() {}

    public static void main(String[] args) throws Exception {
        BouncyCastleProvider bc = new BouncyCastleProvider();
        byte[] digest = MessageDigest.getInstance("SHA-256", bc).digest("abc".getBytes(StandardCharsets.UTF_8));
        System.out.println("bc: " + bc.getInfo() + " from " + jarOf(BouncyCastleProvider.class));
        System.out.println("sha256: " + HexFormat.of().formatHex(digest));

        Timestamp t = Timestamp.parseFrom(Timestamp.newBuilder().setSeconds(1767225600L).build().toByteArray());
        System.out.println("protobuf: " + t.getSeconds() + " from " + jarOf(Timestamp.class));

        Tao tao = Tao.parent();
        System.out.println("api: " + jarOf(Tao.class));
        System.out.println("name: " + tao.getTaoName());
        try (Unsealed u = tao.unseal(tao.seal("kept".getBytes(StandardCharsets.UTF_8), SealPolicy.SELF))) {
            System.out.println("unsealed: " + new String(u.data(), StandardCharsets.UTF_8) + " " + u.policy());
        }
    }

    private static String jarOf(Class<?> c) {
        String path = c.getProtectionDomain().getCodeSource().getLocation().getPath();
        return path.substring(path.lastIndexOf('/') + 1);
    }
}
