package dev.cloudproxy.tao.samples;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The smallest hosted program: prints its Tao name; on its first run seals a message to itself
 * (policy {@code self}) into STATE_FILE, and on later runs unseals and prints it. Only the same
 * program on the same host can read the file. A relative STATE_FILE is taken in the program's
 * state directory when its host gives it one ({@code TAO_STATE_DIR}: a root host, which runs the
 * program under a user id of its own that may not write the caller's directory), else in the
 * working directory.
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
            CoreTao tao = CoreTao.parent();
            System.out.println("name: " + tao.getTaoName());
            if (Files.exists(state)) {
                try (Unsealed u = tao.unseal(AtomicFiles.readAtMost(state, 1 << 20))) {
                    System.out.println("unsealed: " + new String(u.data(), StandardCharsets.UTF_8));
                }
            } else {
                String message = "sealed at " + Instant.now() + " by " + tao.getTaoName();
                AtomicFiles.writeOwnerOnly(state.toAbsolutePath(),
                        tao.seal(message.getBytes(StandardCharsets.UTF_8), CoreTao.SEAL_POLICY_SELF));
                System.out.println("sealed to " + state + "; run again to unseal it");
            }
        } catch (TaoException e) {
            System.err.println("TaoHello: " + e.getMessage());
            System.exit(1);
        }
    }
}
