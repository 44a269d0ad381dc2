package dev.cloudproxy.tao.agent.tooling;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code HardeningProbe WORKDIR}: makes a fresh JVM non-dumpable as premain does (JNA not yet
 * loaded in it, unlike the test JVM, where other tests may have loaded it) and prints what came
 * of it: the dumpable flag, whether jna.tmpdir was restored, and the files JNA unpacked.
 */
public final class HardeningProbe {
    private HardeningProbe() {}

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        System.setProperty("jnidispatch.preserve", "true"); // JNA would delete its stub once loaded
        Hardening.makeNonDumpable(work);
        System.clearProperty("jnidispatch.preserve");
        System.out.println("dumpable " + LibC.prctl(3 /* PR_GET_DUMPABLE */, 0, 0, 0, 0));
        System.out.println("jna.tmpdir " + System.getProperty("jna.tmpdir"));
        try (Stream<Path> s = Files.list(work.resolve("jna"))) {
            System.out.println("unpacked " + s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.joining(" ")));
        }
    }
}
