package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.kms.Directive;
import dev.cloudproxy.tao.kms.ObjectId;
import dev.cloudproxy.tao.kms.ObjectName;
import dev.cloudproxy.tao.kms.SignedDirective;
import dev.cloudproxy.tao.kms.Verb;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tao domain directive}: issue a policy-signed disclosure directive. */
@Command(
        name = "directive",
        description = {
            "Issue a disclosure directive: 'policy-key from NOW until NOW+VALID says CanRead(P, \"NAME\", EPOCH)' "
                    + "(or CanWrite, CanCreate, CanDelete, Own), signed by the policy key of the domain in DIR "
                    + "under the directive signing context, written to --out.",
            "",
            "A party holding keys (the secret service, or a program handing its keys to its successor) "
                    + "acts on it only for a requester whose authenticated name is P. See docs/key-management.md.",
            "",
            "Prints the statement on stderr. Needs the password of the policy key (--password-file, "
                    + Passwords.ENV + ", or a prompt)."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  tao domain directive domain --principal 'key([..]).Program([..])' \\",
            "      --read /zone/key/customer-folder-key --epoch 3 --valid-for 1d --out folder-key-3.directive",
            "",
            "Exit status: 0 on success, 1 on an error, 2 on a usage error."
        })
final class DomainDirective implements Callable<Integer> {
    private final Io io;

    @Spec
    private CommandSpec spec;

    @Mixin
    private Passwords passwords;

    @Parameters(index = "0", paramLabel = "DIR", description = "The domain directory.")
    private Path dir;

    @Option(names = "--principal", required = true, paramLabel = "PRIN",
            description = "The program the directive is for, as its authenticated name.")
    private String principal;

    @ArgGroup(exclusive = true, multiplicity = "1")
    private Grant grant;

    @Option(names = "--epoch", required = true, paramLabel = "N", description = "The epoch of the object (from 1).")
    private int epoch;

    @Option(names = "--valid-for", paramLabel = "DURATION",
            description = "How long the directive is valid from now, e.g. 1d, 12h, P7D (default 1d).")
    private String validFor = "1d";

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the signed directive.")
    private Path out;

    /** Exactly one verb, with the object it is granted on. */
    static final class Grant {
        @Option(names = "--read", paramLabel = "NAME", description = "Grant CanRead on NAME.")
        String read;
        @Option(names = "--write", paramLabel = "NAME", description = "Grant CanWrite on NAME.")
        String write;
        @Option(names = "--create", paramLabel = "NAME", description = "Grant CanCreate on NAME.")
        String create;
        @Option(names = "--delete", paramLabel = "NAME", description = "Grant CanDelete on NAME.")
        String delete;
        @Option(names = "--own", paramLabel = "NAME", description = "Grant Own (every verb) on NAME.")
        String own;

        Verb verb() {
            return read != null ? Verb.READ : write != null ? Verb.WRITE : create != null ? Verb.CREATE
                    : delete != null ? Verb.DELETE : Verb.OWN;
        }

        String name() {
            return read != null ? read : write != null ? write : create != null ? create : delete != null ? delete : own;
        }
    }

    DomainDirective(Io io) {
        this.io = io;
    }

    @Override
    public Integer call() throws InputException {
        Prin to;
        ObjectId object;
        Duration valid;
        try {
            to = Prin.parse(principal);
        } catch (AuthFormatException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--principal: not a principal: " + e.getMessage());
        }
        try {
            object = new ObjectId(ObjectName.of(grant.name()), epoch);
            valid = DomainServiceCommand.parseDuration(validFor);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        try (Domain domain = DomainServiceCommand.openWithKeys(dir, passwords, io)) {
            Instant now = Instant.now();
            Directive directive = new Directive(domain.policyPrincipal(), grant.verb(), to, object, now.getEpochSecond(),
                    now.plus(valid).getEpochSecond());
            byte[] signed = SignedDirective.sign(directive, domain.policySigner());
            // Not secret (it names, it does not carry, a key), but only P can use it: 0644.
            AtomicFiles.write(out, signed, AtomicFiles.PUBLIC_READ);
            io.err().println("tao domain directive: wrote " + out + ": " + directive.statement());
            return TaoCli.EXIT_OK;
        } catch (IOException e) {
            throw InputException.file("cannot write the directive to " + out, out, e);
        }
    }
}
