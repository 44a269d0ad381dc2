package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.AuthText;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinTail;
import dev.cloudproxy.tao.auth.Term;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainException;
import dev.cloudproxy.tao.domain.PolicyFacts;
import dev.cloudproxy.tao.guard.Guard;
import dev.cloudproxy.tao.guard.GuardException;
import dev.cloudproxy.tao.guard.RuleSetGuard;
import dev.cloudproxy.tao.keys.InvalidKeySetException;
import dev.cloudproxy.tao.keys.WrongPasswordException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tao domain policy}: show, query and change a domain's guard. */
@Command(
        name = "policy",
        description = {
            "Show, query or change the policy (guard rules) of the domain in DIR.",
            "",
            "Changes apply in this order: --clear, then every --retract..., then every --add.../"
                    + "--canexecute, in the order given within each option; then the rules are "
                    + "signed by the policy key and written atomically. If any change is refused "
                    + "(a rule that does not parse or that the guard refuses, a retraction of "
                    + "something not in the policy), nothing is written. Then --show prints the "
                    + "rules, one per line, and --query answers.",
            "",
            "Changing the policy needs the password of the policy key: from --password-file, else "
                    + "the " + Passwords.ENV + " environment variable, else a prompt. --show and "
                    + "--query alone need no password: they use the rules as signed.",
            "",
            "Facts added: --add-host P is TrustedHost(P); --add-programs H is "
                    + "TrustedProgramHash(ext.Program([H])); --add-linux-host H is "
                    + "TrustedLinuxHost(ext.LinuxHost([H])); --add-guard G is TrustedGuard(G) for a "
                    + "guard tail such as ext.DatalogGuard([..]); --canexecute P is "
                    + "Authorized(P, \"Execute\"). Hashes are SHA-256, 64 hex digits.",
            "",
            "TPM-rooted hosts: --add-tpm2 AK is TrustedTpm(tpm2([..])); --add-tpm2-pcrs PCRS is "
                    + "TrustedTpmPcrs(ext.PCRs(..)). Both take a TPM-rooted host's name as it prints "
                    + "it (tpm2([..]).PCRs(..)...): the template makes that TPM in those PCR values a "
                    + "TrustedPlatform. docs/tpm.md says which PCRs to choose.",
            "",
            "Launched JVM apps (names Jvm(ext.Runtime(..), ext.Agent(..), ext.App(..), ext.Config(..)), "
                    + "docs/measurement.md), for the template's rules: --trust-app -- [LAUNCHER-OPTIONS] "
                    + "APP.jar adds TrustedApp(ext.App([..]), ext.Config([..])) for the app as "
                    + "'java -jar tao-launcher.jar [LAUNCHER-OPTIONS] APP.jar' runs it (its class path, "
                    + "main class, JVM and channel options; the agent and runtime are judged apart); "
                    + "--retract-app takes the same and removes it; --trust-runtime JAVA_HOME adds "
                    + "TrustedRuntime(ext.Runtime([..])); --trust-agent LAUNCHER_JAR adds "
                    + "TrustedAgent(ext.Agent(\"V\", [..])) for the agent inside that launcher; "
                    + "--trust-launcher LAUNCHER_JAR adds TrustedLauncher(..) for that launcher run "
                    + "by a Tao host on any trusted runtime. Each prints the fact it adds."
        },
        sortOptions = false,
        footerHeading = "%nExamples:%n",
        footer = {
            "  tao domain policy domain --add-programs 0123...cdef 4567...89ab",
            "  tao domain policy domain --query 'Authorized(key([..]).Program([..]), \"Execute\")'",
            "  tao domain policy domain --show",
            "  tao domain policy domain --trust-runtime /usr/lib/jvm/temurin-25-jdk-amd64",
            "  tao domain policy domain --trust-agent tao-launcher.jar --trust-app -- \\",
            "      --rule 'out 127.0.0.1 19092 TAO' --domain-service ds:8124 --policy-cert policy.pem app.jar",
            "",
            "Put DIR first: --add-programs takes every following argument that is not an option.",
            "",
            "Exit status: 0 on success (with --query: the statement holds, and stdout says true), "
                    + "1 if the statement does not hold (stdout says false) or on any error "
                    + "(stdout empty, one line on stderr), 2 on a usage error."
        })
final class DomainPolicy implements Callable<Integer> {
    private final Io io;

    @Spec
    private CommandSpec spec;

    @Mixin
    private Passwords passwords;

    @Parameters(index = "0", paramLabel = "DIR", description = "The domain directory.")
    private Path dir;

    @Option(names = "--clear", description = "Remove every rule first.")
    private boolean clear;

    @Option(names = "--retract-host", paramLabel = "PRIN", description = "Remove TrustedHost(PRIN).")
    private List<String> retractHosts = new ArrayList<>();

    @Option(names = "--retract-programs", paramLabel = "HASH", arity = "1..*",
            description = "Remove TrustedProgramHash(ext.Program([HASH])) for each HASH.")
    private List<String> retractPrograms = new ArrayList<>();

    @Option(names = "--retract-linux-host", paramLabel = "HASH",
            description = "Remove TrustedLinuxHost(ext.LinuxHost([HASH])).")
    private List<String> retractLinuxHosts = new ArrayList<>();

    @Option(names = "--retract-guard", paramLabel = "GUARD", description = "Remove TrustedGuard(GUARD).")
    private List<String> retractGuards = new ArrayList<>();

    @Option(names = "--retract-canexecute", paramLabel = "PRIN",
            description = "Remove Authorized(PRIN, \"Execute\").")
    private List<String> retractCanExecute = new ArrayList<>();

    @Option(names = "--retract", paramLabel = "RULE", description = "Remove a rule or fact.")
    private List<String> retractRules = new ArrayList<>();

    @Option(names = "--add-host", paramLabel = "PRIN", description = "Add TrustedHost(PRIN).")
    private List<String> addHosts = new ArrayList<>();

    @Option(names = "--add-programs", paramLabel = "HASH", arity = "1..*",
            description = "Add TrustedProgramHash(ext.Program([HASH])) for each HASH.")
    private List<String> addPrograms = new ArrayList<>();

    @Option(names = "--add-linux-host", paramLabel = "HASH",
            description = "Add TrustedLinuxHost(ext.LinuxHost([HASH])).")
    private List<String> addLinuxHosts = new ArrayList<>();

    @Option(names = "--add-guard", paramLabel = "GUARD",
            description = "Add TrustedGuard(GUARD), GUARD a tail such as ext.DatalogGuard([..]).")
    private List<String> addGuards = new ArrayList<>();

    @Option(names = "--canexecute", paramLabel = "PRIN", description = "Add Authorized(PRIN, \"Execute\").")
    private List<String> canExecute = new ArrayList<>();

    @Option(names = "--add", paramLabel = "RULE", description = "Add a rule or fact (auth language).")
    private List<String> addRules = new ArrayList<>();

    /** --add-tpm2, --add-tpm2-pcrs and their retractions. */
    @Mixin
    private TpmPolicyOptions tpm = new TpmPolicyOptions();

    // Launched JVM apps: the facts the template's rules for Jvm(Runtime, Agent, App, Config) use.

    @Option(names = "--trust-app", description = "Add TrustedApp(..) for the launcher command line after '--'.")
    private boolean trustApp;

    @Option(names = "--retract-app", description = "Remove TrustedApp(..) for the launcher command line after '--'.")
    private boolean retractApp;

    @Parameters(index = "1..*", paramLabel = "LAUNCHER-ARG",
            description = "With --trust-app or --retract-app: [launcher options] APP.jar, after '--'.")
    private List<String> launcherArgs = new ArrayList<>();

    @Option(names = "--trust-runtime", paramLabel = "JAVA_HOME", description = "Add TrustedRuntime(ext.Runtime([..])).")
    private List<Path> trustRuntimes = new ArrayList<>();

    @Option(names = "--trust-agent", paramLabel = "LAUNCHER_JAR",
            description = "Add TrustedAgent(ext.Agent(\"V\", [..])) for the agent in LAUNCHER_JAR.")
    private List<Path> trustAgents = new ArrayList<>();

    @Option(names = "--trust-launcher", paramLabel = "LAUNCHER_JAR",
            description = "Add TrustedLauncher(..) for LAUNCHER_JAR as a Tao host runs it (the runtime is "
                    + "judged apart).")
    private List<Path> trustLaunchers = new ArrayList<>();

    @Option(names = "--show", description = "Print the rules, one per line.")
    private boolean show;

    @Option(names = "--query", paramLabel = "STATEMENT",
            description = "Print true and exit 0 if STATEMENT holds, else print false and exit 1.")
    private String query;

    DomainPolicy(Io io) {
        this.io = io;
    }

    @Override
    public Integer call() throws InputException {
        // Every argument is parsed before the domain is opened or a password asked for.
        List<Form> retractions = new ArrayList<>();
        List<Form> additions = new ArrayList<>();
        for (String p : retractHosts) {
            retractions.add(PolicyFacts.trustedHost(prin("--retract-host", p)));
        }
        for (String h : retractPrograms) {
            retractions.add(PolicyFacts.trustedProgram(hash("--retract-programs", h)));
        }
        for (String h : retractLinuxHosts) {
            retractions.add(PolicyFacts.trustedLinuxHost(hash("--retract-linux-host", h)));
        }
        for (String g : retractGuards) {
            retractions.add(PolicyFacts.trustedGuard(tail("--retract-guard", g)));
        }
        for (String p : retractCanExecute) {
            retractions.add(PolicyFacts.canExecute(prin("--retract-canexecute", p)));
        }
        for (String r : retractRules) {
            retractions.add(form("--retract", r));
        }
        for (String p : addHosts) {
            additions.add(PolicyFacts.trustedHost(prin("--add-host", p)));
        }
        for (String h : addPrograms) {
            additions.add(PolicyFacts.trustedProgram(hash("--add-programs", h)));
        }
        for (String h : addLinuxHosts) {
            additions.add(PolicyFacts.trustedLinuxHost(hash("--add-linux-host", h)));
        }
        for (String g : addGuards) {
            additions.add(PolicyFacts.trustedGuard(tail("--add-guard", g)));
        }
        for (String p : canExecute) {
            additions.add(PolicyFacts.canExecute(prin("--canexecute", p)));
        }
        for (String r : addRules) {
            additions.add(form("--add", r));
        }
        retractions.addAll(tpm.retractions());
        additions.addAll(tpm.additions());
        LaunchedFacts launched = LaunchedFacts.of(trustApp, retractApp, launcherArgs, trustRuntimes, trustAgents,
                trustLaunchers);
        retractions.addAll(launched.retractions());
        additions.addAll(launched.additions());
        for (Form f : launched.retractions()) {
            io.err().println(spec.qualifiedName() + ": retract " + AuthText.print(f));
        }
        for (Form f : launched.additions()) {
            io.err().println(spec.qualifiedName() + ": add " + AuthText.print(f));
        }
        boolean changes = clear || !retractions.isEmpty() || !additions.isEmpty();
        if (!changes && !show && query == null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "nothing to do: give --show, --query or a change");
        }
        Form statement = query == null ? null : form("--query", query);

        try (Domain domain = changes ? openWithKeys() : open()) {
            Guard guard = domain.guard();
            if (changes) {
                change(domain, retractions, additions);
            }
            if (show) {
                for (int i = 0; i < guard.ruleCount(); i++) {
                    io.out().print(AuthText.print(guard.getRule(i)));
                    io.out().print('\n');
                }
            }
            if (statement != null) {
                boolean holds;
                try {
                    holds = guard.query(statement);
                } catch (GuardException e) {
                    throw new InputException("--query: " + e.getMessage());
                }
                io.out().print(holds ? "true\n" : "false\n");
                return holds ? TaoCli.EXIT_OK : TaoCli.EXIT_INPUT;
            }
        }
        return TaoCli.EXIT_OK;
    }

    private void change(Domain domain, List<Form> retractions, List<Form> additions) throws InputException {
        Guard guard = domain.guard();
        try {
            if (clear) {
                guard.clear();
            }
            for (Form f : retractions) {
                if (!guard.retractRule(f)) {
                    throw new InputException("not in the policy, nothing changed: " + AuthText.print(f));
                }
            }
            for (Form f : additions) {
                guard.addRule(f);
            }
        } catch (GuardException e) {
            throw new InputException("nothing changed: " + e.getMessage());
        }
        try {
            domain.saveGuard();
        } catch (IOException e) {
            throw InputException.file("cannot write the policy of " + dir, dir, e);
        }
        String version = guard instanceof RuleSetGuard rules ? " as policy version " + rules.policyVersion() : "";
        io.err().println(spec.qualifiedName() + ": saved " + guard.ruleCount() + " rules" + version + ", signed by "
                + domain.policyPrincipal());
    }

    private Domain open() throws InputException {
        try {
            return Domain.load(dir);
        } catch (IOException e) {
            throw InputException.file("cannot read the domain in " + dir, dir, e);
        } catch (DomainException e) {
            throw new InputException("cannot load the domain in " + dir + ": " + e.getMessage());
        }
    }

    private Domain openWithKeys() throws InputException {
        // Loaded once without keys first, so a broken domain or a fixed guard is reported before
        // anyone types a password.
        try (Domain publicOnly = open()) {
            if (!publicOnly.guardType().hasRules()) {
                throw new InputException("the domain's " + publicOnly.guardType().text()
                        + " guard has a fixed policy; it cannot be changed");
            }
        }
        try (Password password = passwords.forExistingKeys(io, "the policy key of " + dir)) {
            return Domain.loadWithKeys(dir, password.chars());
        } catch (WrongPasswordException e) {
            throw new InputException("wrong password for the policy key of " + dir);
        } catch (InvalidKeySetException e) {
            throw new InputException("the policy key set of " + dir + " is unusable: " + e.getMessage());
        } catch (IOException e) {
            throw InputException.file("cannot read the domain in " + dir, dir, e);
        } catch (DomainException e) {
            throw new InputException("cannot load the domain in " + dir + ": " + e.getMessage());
        }
    }

    private static Prin prin(String option, String text) throws InputException {
        try {
            return Prin.parse(text);
        } catch (AuthFormatException e) {
            throw new InputException(option + ": not a principal: " + e.getMessage());
        }
    }

    private static byte[] hash(String option, String text) throws InputException {
        try {
            return PolicyFacts.parseHash(text);
        } catch (IllegalArgumentException e) {
            throw new InputException(option + ": " + e.getMessage());
        }
    }

    private static PrinTail tail(String option, String text) throws InputException {
        Term t;
        try {
            t = AuthText.parseTerm(text);
        } catch (AuthFormatException e) {
            throw new InputException(option + ": " + e.getMessage());
        }
        if (t instanceof PrinTail tail) {
            return tail;
        }
        throw new InputException(option + ": expected a guard such as ext.DatalogGuard([..])");
    }

    private static Form form(String option, String text) throws InputException {
        try {
            return Form.parse(text);
        } catch (AuthFormatException e) {
            throw new InputException(option + ": " + e.getMessage());
        }
    }
}
