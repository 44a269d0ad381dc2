package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.attestation.AttestationVerifier;
import dev.cloudproxy.tao.attestation.VerifiedStatement;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tao attestation}: tools for attestations, the signed statements Taos exchange. */
@Command(
        name = "attestation",
        description = "Verify attestations: signed statements with the delegations that back them.",
        synopsisSubcommandLabel = "COMMAND",
        commandListHeading = "%nCommands:%n",
        subcommands = {AttestationCommand.Verify.class},
        footerHeading = "%nExamples:%n",
        footer = {
            "  tao attestation verify statement.att",
            "  tao help attestation verify"
        })
final class AttestationCommand extends CommandGroup {

    /**
     * Largest hex file {@code verify --hex} reads: room for the hex of the largest attestation
     * with a separator after every byte (a space or a line end), plus a little.
     */
    static final int MAX_HEX_FILE_BYTES = 3 * Attestation.MAX_BYTES + 4096;

    @Command(
            name = "verify",
            description = {
                "Verify a serialized attestation (CloudProxy's protobuf format): its signature, "
                        + "the delegations it relies on, and their time windows.",
                "",
                "On success print 'verified', then the signer (the key whose signature checked "
                        + "out), the speaker (the principal the signer was shown to speak for) and "
                        + "the statement, one per line as 'name: value'. If the statement's "
                        + "message is 'D speaksfor P' and its speaker is P or an ancestor of P, a "
                        + "'delegation:' line follows; otherwise the message delegates nothing. "
                        + "Then, when they apply, 'window:' (the time window in which the "
                        + "conclusion holds, the intersection along the delegation chain) and "
                        + "'endorsements:' (how many came along and verified; they are not "
                        + "trusted).",
                "",
                "Which signer to trust is up to you: this checks that the chain is sound, not "
                        + "that its root key is one you know.",
                "",
                "On failure print one line saying why. Windows are checked against the clock, "
                        + "allowing 60 s of skew, or exactly as of --at."
            },
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao attestation verify statement.att",
                "  tao attestation verify --hex --at 1 attestation.hex",
                "  xxd -p statement.att | tao attestation verify --hex -",
                "",
                "Exit status: 0 if the attestation verifies, 1 if it does not or cannot be read, "
                        + "2 on a usage error."
            })
    static final class Verify implements Callable<Integer> {
        private final Io io;

        @Option(
                names = "--at",
                paramLabel = "UNIX_SECONDS",
                description = "Check time windows as of this time, exactly (no skew), instead "
                        + "of now.")
        private Long at;

        @Option(
                names = "--hex",
                description = "FILE holds the attestation as hex (either case, whitespace "
                        + "anywhere) instead of raw bytes.")
        private boolean hex;

        @Parameters(
                paramLabel = "FILE",
                description = "The attestation, or - for standard input (./- for a file named -).")
        private String file;

        Verify(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() throws InputException {
            byte[] serialized = hex
                    ? Hex.parseSpaced(read(MAX_HEX_FILE_BYTES), Attestation.MAX_BYTES)
                    : read(Attestation.MAX_BYTES);
            if (serialized.length == 0) {
                throw new InputException(hex ? "the input holds no hex digits" : "the input is empty");
            }
            AttestationVerifier verifier = at == null ? AttestationVerifier.create() : AttestationVerifier.at(at);
            VerifiedStatement v;
            try {
                v = verifier.verify(serialized);
            } catch (VerificationException e) {
                String hint = !hex && Hex.looksLikeHex(serialized) ? " (the input looks like hex: use --hex)" : "";
                throw new InputException(e.getMessage() + hint);
            }
            print(v, io.out());
            return TaoCli.EXIT_OK;
        }

        /** The required lines first, in a fixed order; then the optional ones. */
        private static void print(VerifiedStatement v, PrintWriter out) {
            out.print("verified\n");
            out.print("signer: " + v.signer() + "\n");
            out.print("speaker: " + v.speaker() + "\n");
            out.print("statement: " + v.statement() + "\n");
            v.delegation().ifPresent(d -> out.print("delegation: " + d + "\n"));
            if (v.effectiveFrom().isPresent() || v.effectiveUntil().isPresent()) {
                StringBuilder window = new StringBuilder("window:");
                v.effectiveFrom().ifPresent(t -> window.append(" from ").append(t));
                v.effectiveUntil().ifPresent(t -> window.append(" until ").append(t));
                out.print(window + "\n");
            }
            if (!v.endorsements().isEmpty()) {
                out.print("endorsements: " + v.endorsements().size() + "\n");
            }
        }

        /**
         * The whole input, refused if it is longer than {@code limit} bytes; at most
         * {@code limit + 1} bytes are read, whatever the size of the file or stream.
         */
        private byte[] read(int limit) throws InputException {
            byte[] bytes;
            if (file.equals("-")) {
                try {
                    bytes = io.in().readNBytes(limit + 1);
                } catch (IOException e) {
                    throw new InputException("cannot read standard input: " + e.getMessage());
                }
            } else {
                Path path;
                try {
                    path = Path.of(file);
                } catch (InvalidPathException e) {
                    throw new InputException("invalid file name: " + e.getReason());
                }
                try (InputStream in = Files.newInputStream(path)) {
                    bytes = in.readNBytes(limit + 1);
                } catch (IOException e) {
                    throw InputException.file("cannot read " + file, path, e);
                }
            }
            if (bytes.length > limit) {
                throw new InputException("the input is larger than " + limit + " bytes, "
                        + (hex ? "more than the hex of the largest attestation needs"
                                : "the largest attestation accepted"));
            }
            return bytes;
        }
    }
}
