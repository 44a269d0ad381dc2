package dev.cloudproxy.tao.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the test vectors that CloudProxy's Go implementation produced (shared/ beside the checkout). */
final class TestVectors {
    record Vector(String hex, String text) {}

    private TestVectors() {}

    static Path sharedDir() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
            dir = dir.getParent();
        }
        if (dir == null || !Files.isDirectory(dir.getParent().resolve("shared"))) {
            throw new IllegalStateException("shared/ not found beside the checkout (expected ../shared from the repository root)");
        }
        return dir.getParent().resolve("shared");
    }

    static List<Vector> authBinary() throws IOException {
        List<Vector> out = new ArrayList<>();
        for (String line : Files.readAllLines(sharedDir().resolve("vectors/auth-binary.tsv"), StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] cols = line.split("\t", 2);
            out.add(new Vector(cols[0], cols[1]));
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("no vectors in auth-binary.tsv");
        }
        return out;
    }
}
