package dev.cloudproxy.tao.auth;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the test vectors that CloudProxy's Go implementation produced: {@code test-vectors/} of the
 * repository, on the test class path as {@code /go-vectors/}.
 */
final class TestVectors {
    record Vector(String hex, String text) {}

    private TestVectors() {}

    static List<Vector> authBinary() throws IOException {
        List<Vector> out = new ArrayList<>();
        for (String line : read("auth-binary.tsv").split("\n")) {
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

    private static String read(String name) throws IOException {
        try (InputStream in = TestVectors.class.getResourceAsStream("/go-vectors/" + name)) {
            if (in == null) {
                throw new IllegalStateException("/go-vectors/" + name + " is not on the test class path"
                        + " (the build copies it from test-vectors/ of the repository)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
