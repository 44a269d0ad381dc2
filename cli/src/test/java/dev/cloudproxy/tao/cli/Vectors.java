package dev.cloudproxy.tao.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The vectors CloudProxy's Go implementation made: {@code test-vectors/} of the repository, on the
 * test class path as {@code /go-vectors/}.
 */
final class Vectors {
    /** One line of {@code auth-binary.tsv}: a binary encoding (hex) and its canonical text. */
    record AuthBinary(String hex, String text) {
        @Override
        public String toString() {
            return text;
        }
    }

    /**
     * {@code attestation.txt}: an attestation made by CloudProxy's Go implementation, as hex,
     * with the hex of its statement and of its signer's public key (both appear inside it).
     */
    record GoAttestation(String attestationHex, String statementHex, String publicKeyHex) {
        byte[] attestation() {
            return HexFormat.of().parseHex(attestationHex);
        }
    }

    private Vectors() {}

    static GoAttestation goAttestation() throws IOException {
        String file = "attestation.txt";
        Map<String, String> fields = new HashMap<>();
        for (String line : read(file).split("\n")) {
            int eq = line.indexOf('=');
            if (line.startsWith("#") || eq < 0) {
                continue;
            }
            fields.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
        }
        for (String name : List.of("attestation", "statement", "public_pkix")) {
            if (!fields.containsKey(name)) {
                throw new AssertionError("no " + name + "= line in " + file);
            }
        }
        return new GoAttestation(fields.get("attestation"), fields.get("statement"), fields.get("public_pkix"));
    }

    static List<AuthBinary> authBinary() throws IOException {
        String file = "auth-binary.tsv";
        List<AuthBinary> vectors = new ArrayList<>();
        for (String line : read(file).split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\t", -1);
            if (fields.length != 2) {
                throw new AssertionError("expected 'hex<TAB>text' in " + file + ", got: " + line);
            }
            vectors.add(new AuthBinary(fields[0], fields[1]));
        }
        if (vectors.isEmpty()) {
            throw new AssertionError("no vectors in " + file);
        }
        return vectors;
    }

    private static String read(String name) throws IOException {
        try (InputStream in = Vectors.class.getResourceAsStream("/go-vectors/" + name)) {
            if (in == null) {
                throw new AssertionError("/go-vectors/" + name + " is not on the test class path"
                        + " (the build copies it from test-vectors/ of the repository)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
