package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.keys.Keys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code tao domain}: Tao domains (policy key, certificate, guard) and soft Tao keys. */
@Command(
        name = "domain",
        description = "Create Tao domains, manage their policy, run their domain service, revoke "
                + "certificates, issue disclosure directives; create soft Tao keys.",
        synopsisSubcommandLabel = "COMMAND",
        commandListHeading = "%nCommands:%n",
        subcommands = {DomainInit.class, DomainPolicy.class, DomainServiceCommand.Service.class,
            DomainServiceCommand.Revoke.class, DomainDirective.class, DomainCommand.NewSoft.class},
        footerHeading = "%nExamples:%n",
        footer = {
            "  tao domain init --template docs/domain_template.txt domain",
            "  tao domain policy domain --add-programs 0123...cdef",
            "  tao domain policy domain --show",
            "  tao domain service domain --listen 127.0.0.1:8124",
            "  tao domain revoke domain 1a2b3c...",
            "  tao domain directive domain --principal 'key([..]).Program([..])' --read /zone/key/k --epoch 3 --out d.bin",
            "  tao domain newsoft soft-tao-keys",
            "  tao help domain policy"
        })
final class DomainCommand extends CommandGroup {

    @Command(
            name = "newsoft",
            description = {
                "Create the keys of a soft Tao (signing, encryption and derivation keys, "
                        + "stored under a password) in DIR, and print the principal name of its "
                        + "signing key.",
                "",
                "DIR is created, with mode 0700, if it does not exist. A DIR that already holds "
                        + "a key set (" + Keys.KEY_SET_FILE + ") is left alone and the command "
                        + "fails. The key set is written with mode 0600 and the public key beside "
                        + "it as " + Keys.PUBLIC_KEY_FILE + ".",
                "",
                "The password comes from --password-file, else the " + Passwords.ENV
                        + " environment variable, else a prompt on the terminal (typed twice); "
                        + "never from an argument. It cannot be empty."
            },
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao domain newsoft soft-tao-keys",
                "  tao domain newsoft --password-file pw.txt soft-tao-keys",
                "",
                "Exit status: 0 on success, 1 if the key set cannot be created (DIR already has "
                        + "one, no usable password, an I/O error), 2 on a usage error."
            })
    static final class NewSoft implements Callable<Integer> {
        private final Io io;

        @Mixin
        private Passwords passwords;

        @Parameters(
                paramLabel = "DIR",
                description = "The directory to hold the new key set.")
        private Path dir;

        NewSoft(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() throws InputException {
            // Checked before asking for a password, so nobody types one only to be refused.
            // Anything under the key set's name counts, even a dangling link: never replace it.
            if (Files.exists(dir.resolve(Keys.KEY_SET_FILE), LinkOption.NOFOLLOW_LINKS)) {
                throw new InputException(dir + " already holds a key set (" + Keys.KEY_SET_FILE
                        + "); choose another directory or remove it first");
            }
            if (Files.exists(dir) && !Files.isDirectory(dir)) {
                throw new InputException(dir + " exists and is not a directory");
            }
            Prin principal;
            try (Password password = passwords.forNewKeys(io, "the new key set in " + dir);
                    Keys keys = Keys.generate()) {
                keys.save(dir, password.chars());
                principal = keys.principal();
            } catch (IOException e) {
                throw InputException.file("cannot write the key set in " + dir, dir, e);
            }
            io.out().print(principal);
            io.out().print('\n');
            io.err().println("tao domain newsoft: wrote " + Keys.KEY_SET_FILE + " and "
                    + Keys.PUBLIC_KEY_FILE + " in " + dir);
            return TaoCli.EXIT_OK;
        }
    }
}
