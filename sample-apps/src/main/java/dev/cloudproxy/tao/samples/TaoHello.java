package dev.cloudproxy.tao.samples;

import dev.cloudproxy.tao.SealPolicy;
import dev.cloudproxy.tao.Tao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.Unsealed;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;

/**
 * The smallest hosted program: prints its Tao name; on its first run seals a message to itself
 * (policy {@code self}) into STATE_FILE, and on later runs unseals and prints it. Only the same
 * program on the same host can read the file. A relative STATE_FILE is taken in the program's
 * state directory when its host gives it one ({@code TAO_STATE_DIR}: a root host, which runs the
 * program under a user id of its own that may not write the caller's directory), else in the
 * working directory. It uses only the app-facing {@code tao-api}: under {@code tao run} without the
 * agent, {@code Tao.parent()} comes from {@code tao-core} on the class path (here, in the CLI jar).
 *
 * <pre>
 * tao run --jvm --cp cli/target/tao-cli.jar --main dev.cloudproxy.tao.samples.TaoHello \
 *     sample-apps/target/tao-sample-apps-0.1.0-SNAPSHOT.jar hello.sealed
 * </pre>
 */
public final class TaoHello {
    private TaoHello() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: TaoHello STATE_FILE");
            System.exit(2);
        }
        Path state = Path.of(args[0]);
        String stateDir = System.getenv("TAO_STATE_DIR");
        if (stateDir != null && !stateDir.isEmpty() && !state.isAbsolute()) {
            state = Path.of(stateDir).resolve(state);
        }
        try {
            Tao tao = Tao.parent();
            System.out.println("name: " + tao.getTaoName());
            if (Files.exists(state)) {
                try (Unsealed u = tao.unseal(Files.readAllBytes(state))) {
                    System.out.println("unsealed: " + new String(u.data(), StandardCharsets.UTF_8));
                }
            } else {
                String message = "sealed at " + Instant.now() + " by " + tao.getTaoName();
                writeOwnerOnly(state.toAbsolutePath(), tao.seal(message.getBytes(StandardCharsets.UTF_8), SealPolicy.SELF));
                System.out.println("sealed to " + state + "; run again to unseal it");
            }
        } catch (TaoException e) {
            System.err.println("TaoHello: " + e.getMessage());
            System.exit(1);
        }
    }

    /** A new file, readable by the owner only, that appears whole or not at all. */
    private static void writeOwnerOnly(Path target, byte[] content) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), ".tao-hello", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(tmp, content);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
