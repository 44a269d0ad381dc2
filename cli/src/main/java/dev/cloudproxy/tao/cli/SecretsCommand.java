package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.channel.ProgramCredentials;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.kms.ObjectId;
import dev.cloudproxy.tao.kms.ObjectInfo;
import dev.cloudproxy.tao.kms.ObjectMaterial;
import dev.cloudproxy.tao.kms.ObjectName;
import dev.cloudproxy.tao.kms.ObjectType;
import dev.cloudproxy.tao.secrets.SecretRefusedException;
import dev.cloudproxy.tao.secrets.SecretRequest;
import dev.cloudproxy.tao.secrets.SecretService;
import dev.cloudproxy.tao.secrets.SecretServiceClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tao secrets}: the operator's client of the secret service (docs/key-management.md).
 *
 * <p>An operator is not a Tao program, so it has no program certificate of its own. Each run
 * unlocks the policy key, makes a fresh key pair, certifies it for ten minutes as
 * {@code key([policy]).Operator("who")} and talks to the service over a Tao channel with it. A
 * service started with {@link SecretService.Builder#operatorsOf} grants that name every operation;
 * the private key lives only in this process.
 */
@Command(
        name = "secrets",
        description = {
            "Read, write, create, rotate, retire and revoke protected objects of a domain's secret service as the "
                    + "domain's operator.",
            "",
            "Each run needs the password of the policy key of the domain in --domain (--password-file, "
                    + Passwords.ENV + ", or a prompt): it certifies a fresh key for ten minutes as "
                    + "key([policy]).Operator(\"WHO\"), which the service (started with operators enabled, as "
                    + "SecretServiceProgram is) serves like Own on every object. Every request is in the service's "
                    + "audit log with basis OPERATOR."
        },
        synopsisSubcommandLabel = "COMMAND",
        commandListHeading = "%nCommands:%n",
        subcommands = {SecretsCommand.Read.class, SecretsCommand.Write.class, SecretsCommand.Create.class,
            SecretsCommand.Rotate.class, SecretsCommand.Retire.class, SecretsCommand.Revoke.class},
        footerHeading = "%nExamples:%n",
        footer = {
            "  tao secrets create --domain domain --service 127.0.0.1:8125 --service-principal 'key([..]).Jvm(..)' \\",
            "      /customers --type aes-256-gcm --protector /",
            "  tao secrets read --domain domain --service 127.0.0.1:8125 --service-principal 'key([..]).Jvm(..)' \\",
            "      /customers/file/f1 --out f1.copy",
            "  tao help secrets write"
        })
final class SecretsCommand extends CommandGroup {
    /** How long the operator's certificate is valid: one command's work, with room for a slow prompt. */
    static final Duration OPERATOR_CERTIFICATE_LIFETIME = Duration.ofMinutes(10);

    /** The options every verb shares: which domain, which service, and who the operator is. */
    static final class Target {
        @Option(names = "--domain", required = true, paramLabel = "DIR",
                description = "The domain directory, with its policy key.")
        Path domain;

        @Option(names = "--service", required = true, paramLabel = "HOST:PORT",
                description = "The secret service's address.")
        String service;

        @Option(names = "--service-principal", required = true, paramLabel = "PRIN",
                description = "The service's program name, as its program certificate names it (the channel "
                        + "refuses any other peer; 'tao list' on its host shows it).")
        String servicePrincipal;

        @Option(names = "--as", paramLabel = "WHO",
                description = "The operator's name in Operator(\"WHO\") and in the audit log (default: $USER).")
        String who;
    }

    /** One verb: parses the shared options, connects as the operator, runs {@link #run}. */
    abstract static class Verb implements Callable<Integer> {
        final Io io;

        @Spec
        CommandSpec spec;

        @Mixin
        Passwords passwords;

        @CommandLine.ArgGroup(exclusive = false, multiplicity = "1", heading = "%nService:%n")
        Target target;

        Verb(Io io) {
            this.io = io;
        }

        /** The request, sent over a channel the operator's credentials authenticate. */
        abstract int run(SecretServiceClient client) throws IOException, SecretRefusedException, InputException;

        /** Checks this verb's own arguments before the password is asked for. */
        void check() {}

        @Override
        public final Integer call() throws InputException {
            InetSocketAddress address;
            Prin service;
            String who = target.who != null ? target.who : io.env("USER") != null ? io.env("USER") : "operator";
            try {
                address = DomainServiceCommand.parseListen(target.service);
                service = Prin.parse(target.servicePrincipal);
                check();
            } catch (AuthFormatException e) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--service-principal: not a principal: " + e.getMessage());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            try (Domain domain = DomainServiceCommand.openWithKeys(target.domain, passwords, io);
                    Signer key = Signer.generate()) {
                Prin operator;
                try {
                    operator = SecretService.operatorPrincipal(domain.policyPrincipal(), who);
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--as: " + e.getMessage());
                }
                X509Certificate certificate = domain.issueCertificate(key.verifier(), operator,
                        OPERATOR_CERTIFICATE_LIFETIME, Instant.now());
                ProgramCredentials credentials = ProgramCredentials.of(key,
                        List.of(certificate, domain.policyCertificate()), domain.policyCertificate());
                try (SecretServiceClient client = SecretServiceClient.dial(address.getHostString(), address.getPort(),
                        credentials, service)) {
                    return run(client);
                }
            } catch (VerificationException e) {
                throw new InputException("cannot make the operator's credentials: " + e.getMessage());
            } catch (SecretRefusedException e) {
                throw new InputException("the secret service refused: " + e.getMessage());
            } catch (IOException e) {
                throw new InputException("cannot talk to the secret service at " + target.service + ": "
                        + e.getMessage());
            }
        }

        void printInfo(ObjectInfo info) {
            io.out().println(info.id() + " " + info.type() + " " + info.status().name().toLowerCase(java.util.Locale.ROOT));
        }

        static ObjectName name(String text, String what) {
            if (text.equals("/")) {
                return ObjectName.ROOT;
            }
            try {
                return ObjectName.of(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(what + ": " + e.getMessage());
            }
        }
    }

    @Command(name = "read", description = {
        "Read an object's material (the newest active epoch, or --epoch N) into --out, written with mode 0600. "
                + "Prints the object's name, epoch, type and status."},
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao secrets read --domain domain --service 127.0.0.1:8125 --service-principal 'key([..]).Jvm(..)' \\",
                "      /customers/file/f1 --out f1.copy",
                "",
                "Exit status: 0 on success, 1 on a refusal or an error, 2 on a usage error."})
    static final class Read extends Verb {
        @Parameters(index = "0", paramLabel = "NAME", description = "The object, e.g. /customers/file/f1.")
        String name;

        @Option(names = "--epoch", paramLabel = "N", description = "The epoch (default: the newest active one).")
        int epoch;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the material.")
        Path out;

        Read(Io io) {
            super(io);
        }

        @Override
        void check() {
            name(name, "NAME");
            if (epoch < 0) {
                throw new IllegalArgumentException("--epoch: epochs count from 1");
            }
        }

        @Override
        int run(SecretServiceClient client) throws IOException, SecretRefusedException, InputException {
            ObjectName object = name(name, "NAME");
            try (ObjectMaterial material = epoch == 0 ? client.readNewest(object)
                    : client.read(new ObjectId(object, epoch))) {
                byte[] bytes = material.exportSecretMaterial();
                try {
                    AtomicFiles.writeOwnerOnly(out, bytes);
                } catch (IOException e) {
                    throw InputException.file("cannot write the material", out, e);
                } finally {
                    Arrays.fill(bytes, (byte) 0);
                }
                printInfo(material.info());
            }
            return TaoCli.EXIT_OK;
        }
    }

    @Command(name = "write", description = {
        "Write the content of --in as the next epoch of the file object NAME, under the key --protector. "
                + "Prints the new epoch."},
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao secrets write --domain domain --service 127.0.0.1:8125 --service-principal 'key([..]).Jvm(..)' \\",
                "      /customers/file/f1 --protector /customers/key/folder --in f1.txt",
                "",
                "Exit status: 0 on success, 1 on a refusal or an error, 2 on a usage error."})
    static final class Write extends Verb {
        @Parameters(index = "0", paramLabel = "NAME", description = "The file object.")
        String name;

        @Option(names = "--protector", required = true, paramLabel = "KEY", description = "The key that protects it.")
        String protector;

        @Option(names = "--in", required = true, paramLabel = "FILE",
                description = "The content (at most " + SecretRequest.MAX_CONTENT + " bytes).")
        Path in;

        Write(Io io) {
            super(io);
        }

        @Override
        void check() {
            name(name, "NAME");
            name(protector, "--protector");
        }

        @Override
        int run(SecretServiceClient client) throws IOException, SecretRefusedException, InputException {
            byte[] content;
            try {
                content = AtomicFiles.readAtMost(in, SecretRequest.MAX_CONTENT);
            } catch (IOException e) {
                throw InputException.file("cannot read the content", in, e);
            }
            try {
                printInfo(client.write(name(name, "NAME"), name(protector, "--protector"), content));
            } finally {
                Arrays.fill(content, (byte) 0);
            }
            return TaoCli.EXIT_OK;
        }
    }

    @Command(name = "create", description = {
        "Create epoch 1 of the key NAME of --type under the key --protector ('/' for a zone key under the "
                + "service's master key)."},
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao secrets create --domain domain --service 127.0.0.1:8125 --service-principal 'key([..]).Jvm(..)' \\",
                "      /customers/key/folder --type aes-256-gcm --protector /customers",
                "",
                "Exit status: 0 on success, 1 on a refusal or an error, 2 on a usage error."})
    static final class Create extends Verb {
        @Parameters(index = "0", paramLabel = "NAME", description = "The key to create.")
        String name;

        @Option(names = "--type", required = true, paramLabel = "TYPE",
                description = "aes-256-gcm, hmac-sha256 or ecdsa-p256.")
        String type;

        @Option(names = "--protector", required = true, paramLabel = "KEY", description = "The key that protects it.")
        String protector;

        Create(Io io) {
            super(io);
        }

        @Override
        void check() {
            name(name, "NAME");
            name(protector, "--protector");
            type();
        }

        private ObjectType type() {
            try {
                ObjectType t = ObjectType.parse(type);
                if (t != ObjectType.FILE) {
                    return t;
                }
            } catch (IllegalArgumentException e) {
                // Answered below with the types a key may have.
            }
            throw new IllegalArgumentException("--type: expected aes-256-gcm, hmac-sha256 or ecdsa-p256, got '"
                    + type + "' (files are written, not created)");
        }

        @Override
        int run(SecretServiceClient client) throws IOException, SecretRefusedException {
            printInfo(client.create(name(name, "NAME"), type(), name(protector, "--protector")));
            return TaoCli.EXIT_OK;
        }
    }

    @Command(name = "rotate", description = {"Add the next epoch of the key NAME; new writes use it."},
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao secrets rotate --domain domain --service 127.0.0.1:8125 --service-principal 'key([..]).Jvm(..)' \\",
                "      /customers/key/folder",
                "",
                "Exit status: 0 on success, 1 on a refusal or an error, 2 on a usage error."})
    static final class Rotate extends Verb {
        @Parameters(index = "0", paramLabel = "NAME", description = "The key to rotate.")
        String name;

        Rotate(Io io) {
            super(io);
        }

        @Override
        void check() {
            name(name, "NAME");
        }

        @Override
        int run(SecretServiceClient client) throws IOException, SecretRefusedException {
            printInfo(client.rotate(name(name, "NAME")));
            return TaoCli.EXIT_OK;
        }
    }

    /** One epoch named, its material erased: retire and revoke. */
    abstract static class Withdraw extends Verb {
        @Parameters(index = "0", paramLabel = "NAME", description = "The object.")
        String name;

        @Option(names = "--epoch", required = true, paramLabel = "N", description = "The epoch.")
        int epoch;

        Withdraw(Io io) {
            super(io);
        }

        @Override
        void check() {
            name(name, "NAME");
            if (epoch < 1) {
                throw new IllegalArgumentException("--epoch: epochs count from 1");
            }
        }

        ObjectId id() {
            return new ObjectId(name(name, "NAME"), epoch);
        }
    }

    @Command(name = "retire", description = {
        "Retire epoch --epoch of NAME: its material is erased. Refused while anything still depends on it "
                + "(rotate the key and let the service rewrap first)."},
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao secrets retire --domain domain --service 127.0.0.1:8125 --service-principal 'key([..]).Jvm(..)' \\",
                "      /customers/key/folder --epoch 1",
                "",
                "Exit status: 0 on success, 1 on a refusal or an error, 2 on a usage error."})
    static final class Retire extends Withdraw {
        Retire(Io io) {
            super(io);
        }

        @Override
        int run(SecretServiceClient client) throws IOException, SecretRefusedException {
            printInfo(client.delete(id()));
            return TaoCli.EXIT_OK;
        }
    }

    @Command(name = "revoke", description = {
        "Revoke epoch --epoch of NAME because it may be compromised: as retire (its material is erased, refused "
                + "while anything depends on it), with status revoked; an epoch already retired can be revoked too."},
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao secrets revoke --domain domain --service 127.0.0.1:8125 --service-principal 'key([..]).Jvm(..)' \\",
                "      /customers/key/folder --epoch 1",
                "",
                "Exit status: 0 on success, 1 on a refusal or an error, 2 on a usage error."})
    static final class Revoke extends Withdraw {
        Revoke(Io io) {
            super(io);
        }

        @Override
        int run(SecretServiceClient client) throws IOException, SecretRefusedException {
            printInfo(client.revoke(id()));
            return TaoCli.EXIT_OK;
        }
    }
}
