package dev.cloudproxy.tao.attestation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/** The attestation CloudProxy's Go implementation made: shared/vectors/attestation.txt. */
record GoVector(byte[] privateD, byte[] publicPkix, byte[] statement, byte[] contextualizedSha256, byte[] attestation) {

    static GoVector load() throws IOException {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("repository root (with mvnw) not found");
        }
        Path file = dir.getParent().resolve("shared/vectors/attestation.txt");
        Map<String, byte[]> v = new HashMap<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.startsWith("#") || !line.contains("=")) {
                continue;
            }
            String[] kv = line.split("=", 2);
            v.put(kv[0].strip(), HexFormat.of().parseHex(kv[1].strip()));
        }
        return new GoVector(v.get("private_d"), v.get("public_pkix"), v.get("statement"),
                v.get("contextualized_data_sha256"), v.get("attestation"));
    }
}
