package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domainservice.AuditChain;
import dev.cloudproxy.tao.domainservice.CertificateRegistry;
import dev.cloudproxy.tao.domainservice.PostgresLocation;
import dev.cloudproxy.tao.domainservice.PostgresStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tao audit}: the domain service's audit records. */
@Command(
        name = "audit",
        description = "Check the domain service's audit records.",
        synopsisSubcommandLabel = "COMMAND",
        commandListHeading = "%nCommands:%n",
        subcommands = {AuditCommand.Verify.class},
        footerHeading = "%nExamples:%n",
        footer = {
            "  tao audit verify --domain domain",
            "  tao audit verify /var/log/tao-audit.log --expect 3f2a...9c01"
        })
final class AuditCommand extends CommandGroup {

    @Command(
            name = "verify",
            description = {
                "Check that the audit records of a domain service are as it wrote them: each record is "
                        + "linked to the one before it by a hash, so an edited, deleted, inserted or moved "
                        + "record breaks the chain, and this command names the first line where it does.",
                "",
                "Records cut off the end of the log leave no break. Two checks catch them: --domain DIR "
                        + "also checks that every certificate recorded as issued (DIR/issued/, or the "
                        + "--store) has its 'issued' record; and --expect HEX checks that a head printed by "
                        + "an earlier run (kept somewhere the log's writer cannot change) is still in the "
                        + "chain.",
                "",
                "Prints the number of records, the head (the newest chain value: keep it for the next "
                        + "--expect) and what it found. Reads only; with --store it needs the policy key's "
                        + "password, as 'tao domain revoke' does."
            },
            sortOptions = false,
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao audit verify --domain domain",
                "  tao audit verify /var/log/tao-audit.log --expect 3f2a...9c01",
                "  tao audit verify --domain domain --store 'postgresql://db:5432/tao?user=tao'",
                "",
                "Exit status: 0 if the records are whole, 1 if they are not (or cannot be read), 2 on a "
                        + "usage error."
            })
    static final class Verify implements Callable<Integer> {
        private final Io io;

        @Spec
        private CommandSpec spec;

        @Parameters(index = "0", arity = "0..1", paramLabel = "FILE",
                description = "The audit log (default DIR/audit.log with --domain).")
        private Path file;

        @Option(names = "--domain", paramLabel = "DIR",
                description = "The domain directory: its audit log and its issued certificates.")
        private Path dir;

        @Option(names = "--expect", paramLabel = "HEX", description = "A head from an earlier run that must still be in the chain.")
        private List<String> expected = new ArrayList<>();

        @Mixin
        private DomainServiceCommand.StoreOptions storeOptions;

        @Mixin
        private Passwords passwords;

        Verify(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() throws InputException {
            PostgresLocation location;
            try {
                location = storeOptions.location();
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            if (file == null && dir == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "give FILE or --domain DIR");
            }
            if (location != null && (dir == null || file != null)) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--store goes with --domain DIR and no FILE (the records are in the database)");
            }
            for (String e : expected) {
                if (!e.matches("[0-9a-fA-F]{" + AuditChain.VALUE_CHARS + "}")) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "--expect takes a head as printed: " + AuditChain.VALUE_CHARS + " hex digits");
                }
            }
            AuditChain.Verification v;
            TreeSet<String> issued = null;
            String where;
            if (location != null) {
                try (Domain domain = DomainServiceCommand.openWithKeys(dir, passwords, io);
                        PostgresStore store = storeOptions.open(io, domain, location)) {
                    where = store.description();
                    String joined = String.join("\n", store.auditLines());
                    v = AuditChain.verify(new BufferedReader(new StringReader(joined)), true);
                    issued = new TreeSet<>(store.issuedSerials());
                } catch (IOException e) {
                    throw new InputException("cannot read the audit records in " + location + ": " + e.getMessage());
                }
            } else {
                Path log = file != null ? file : dir.resolve("audit.log");
                where = log.toString();
                v = verifyFile(log);
                if (dir != null) {
                    issued = issuedInFiles(dir.resolve(CertificateRegistry.ISSUED_DIR));
                }
            }

            boolean whole = v.intact();
            io.out().print("records: " + v.records()
                    + (v.unchained() > 0 ? " (the first " + v.unchained() + " from before the chain)" : "") + "\n");
            io.out().print("head: " + v.headHex() + "\n");
            if (v.firstBreak().isPresent()) {
                io.out().print("broken at " + v.firstBreak().get() + "\n");
            }
            for (String e : expected) {
                if (!v.contains(e)) {
                    whole = false;
                    io.out().print("missing: the expected head " + e.toLowerCase(java.util.Locale.ROOT)
                            + " is not in the chain (records were cut off or the log was rewritten)\n");
                }
            }
            if (issued != null && v.intact()) {
                issued.removeAll(v.issuedSerials());
                for (String serial : issued) {
                    whole = false;
                    io.out().print("missing: certificate " + serial + " was issued but has no 'issued' record\n");
                }
            }
            io.out().print((whole ? "intact: " : "NOT intact: ") + where + "\n");
            return whole ? TaoCli.EXIT_OK : TaoCli.EXIT_INPUT;
        }

        private static AuditChain.Verification verifyFile(Path log) throws InputException {
            try (InputStream in = Files.newInputStream(log);
                    BufferedReader r = new BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
                AuditChain.Verification v = AuditChain.verify(r, endsWithLineBreak(log));
                return v;
            } catch (IOException e) {
                throw InputException.file("cannot read the audit log " + log, log, e);
            }
        }

        private static boolean endsWithLineBreak(Path log) throws IOException {
            try (var channel = Files.newByteChannel(log)) {
                long size = channel.size();
                if (size == 0) {
                    return true;
                }
                java.nio.ByteBuffer last = java.nio.ByteBuffer.allocate(1);
                channel.position(size - 1).read(last);
                return last.get(0) == '\n';
            }
        }

        private static TreeSet<String> issuedInFiles(Path issuedDir) throws InputException {
            TreeSet<String> out = new TreeSet<>();
            if (!Files.isDirectory(issuedDir)) {
                return out;
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(issuedDir, "*.pem")) {
                for (Path p : files) {
                    String name = p.getFileName().toString();
                    out.add(name.substring(0, name.length() - ".pem".length()));
                }
            } catch (IOException e) {
                throw InputException.file("cannot list " + issuedDir, issuedDir, e);
            }
            return out;
        }
    }
}
