package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainException;
import dev.cloudproxy.tao.domain.DomainTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tao domain init}: a new domain from a template. */
@Command(
        name = "init",
        description = {
            "Create a Tao domain in DIR from a template: a policy key stored under a password in "
                    + "DIR/" + Domain.POLICY_KEYS_DIR + ", its self-signed CA certificate "
                    + Domain.POLICY_CERT_FILE + ", the guard with the template's rules, programs "
                    + "and hosts, signed by the policy key, and the signed configuration "
                    + Domain.CONFIG_FILE + ". Prints the principal name of the policy key.",
            "",
            "The template format is described in docs/domains.md; docs/domain_template.txt is "
                    + "an example. DIR is created with mode 0700 if missing; a DIR that already "
                    + "holds a domain, or part of one, is left alone and the command fails.",
            "",
            "The password comes from --password-file, else the " + Passwords.ENV
                    + " environment variable, else a prompt on the terminal (typed twice); "
                    + "never from an argument."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  tao domain init --template docs/domain_template.txt domain",
            "",
            "Exit status: 0 on success, 1 if the domain cannot be created (bad template, DIR "
                    + "holds a domain, no usable password, an I/O error), 2 on a usage error."
        })
final class DomainInit implements Callable<Integer> {
    private final Io io;

    @Mixin
    private Passwords passwords;

    @Option(names = "--template", paramLabel = "FILE", required = true, description = "The domain template.")
    private Path templateFile;

    @Parameters(paramLabel = "DIR", description = "The directory to hold the new domain.")
    private Path dir;

    DomainInit(Io io) {
        this.io = io;
    }

    @Override
    public Integer call() throws InputException {
        DomainTemplate template;
        try {
            template = DomainTemplate.read(templateFile);
        } catch (IOException e) {
            throw InputException.file("cannot read the template " + templateFile, templateFile, e);
        } catch (DomainException e) {
            throw new InputException(e.getMessage());
        }
        // Checked before asking for a password, so nobody types one only to be refused.
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new InputException(dir + " exists and is not a directory");
        }
        if (Domain.exists(dir)) {
            throw new InputException(dir + " already holds a domain; choose another directory or remove it first");
        }
        String principal;
        try (Password password = passwords.forNewKeys(io, "the policy key of the new domain in " + dir);
                Domain domain = Domain.create(dir, template, password.chars())) {
            principal = domain.policyPrincipal().toString();
        } catch (IOException e) {
            throw InputException.file("cannot create the domain in " + dir, dir, e);
        } catch (DomainException e) {
            throw new InputException(e.getMessage());
        }
        io.out().print(principal);
        io.out().print('\n');
        io.err().println("tao domain init: created the domain " + template.name() + " ("
                + template.guardType().text() + " guard) in " + dir);
        return TaoCli.EXIT_OK;
    }
}
