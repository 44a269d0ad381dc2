package dev.cloudproxy.tao.attestation;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/** The attestation CloudProxy's Go implementation made: test-vectors/attestation.txt of the repository. */
record GoVector(byte[] privateD, byte[] publicPkix, byte[] statement, byte[] contextualizedSha256, byte[] attestation) {

    static GoVector load() throws IOException {
        String text;
        try (InputStream in = GoVector.class.getResourceAsStream("/go-vectors/attestation.txt")) {
            if (in == null) {
                throw new IllegalStateException("/go-vectors/attestation.txt is not on the test class path"
                        + " (the build copies it from test-vectors/ of the repository)");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, byte[]> v = new HashMap<>();
        for (String line : text.split("\n")) {
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
