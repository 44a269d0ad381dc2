package dev.cloudproxy.tao.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The shared test vectors, read from {@code ../shared/vectors/} beside the repository checkout
 * (the checkout is found by walking up from the working directory to the one holding
 * {@code mvnw}).
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
        Path file = sharedDir().resolve("vectors").resolve("attestation.txt");
        if (!Files.isRegularFile(file)) {
            throw new AssertionError("test vector not found at " + file
                    + ": the repository checkout needs the shared/ directory beside it");
        }
        Map<String, String> fields = new HashMap<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
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
        Path file = sharedDir().resolve("vectors").resolve("auth-binary.tsv");
        if (!Files.isRegularFile(file)) {
            throw new AssertionError("test vectors not found at " + file
                    + ": the repository checkout needs the shared/ directory beside it");
        }
        List<AuthBinary> vectors = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
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

    private static Path sharedDir() {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("mvnw"))) {
                return dir.resolveSibling("shared").normalize();
            }
        }
        throw new AssertionError("no directory holding mvnw above " + start
                + "; run the tests from inside the repository checkout");
    }
}
