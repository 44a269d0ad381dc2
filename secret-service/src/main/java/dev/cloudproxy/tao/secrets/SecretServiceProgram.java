package dev.cloudproxy.tao.secrets;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.channel.ProgramCredentials;
import dev.cloudproxy.tao.channel.RevocationChecker;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.kms.DirectiveVerifier;
import dev.cloudproxy.tao.kms.DirectoryStore;
import dev.cloudproxy.tao.kms.MasterKey;
import dev.cloudproxy.tao.kms.ProtectedObjects;
import dev.cloudproxy.tao.paradigm.TaoParadigm;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The secret service as a hosted program of the domain, run like SimpleDomainService
 * ({@code tao run} on a host whose domain trusts it):
 *
 * <pre>
 * SecretServiceProgram --domain DIR --domain-service HOST:PORT --state DIR [--listen HOST:PORT]
 * </pre>
 *
 * <p>{@code --domain} is the domain's public directory (configuration, policy certificate and
 * signed guard rules; no policy password is needed). The program gets its key and program
 * certificate through the Tao paradigm (state in {@code --state}), keeps its objects under a
 * master key sealed to itself ({@code secrets-master.sealed}, policy {@code self}) in
 * {@code --state/objects}, audits to {@code --state/secrets-audit.log}, checks the domain's CRL,
 * and serves until stopped. It prints {@code name: <its Tao name>}, {@code certified as: <the
 * principal its program certificate names>} (what clients check it by) and then
 * {@code listening on HOST:PORT}. Operators of the domain reach it with {@code tao secrets}.
 */
public final class SecretServiceProgram {
    static final String PROGRAM = "SecretServiceProgram";
    private static final Set<String> OPTIONS = Set.of("domain", "domain-service", "state", "listen");

    private SecretServiceProgram() {}

    public static void main(String[] argv) {
        Map<String, String> args;
        try {
            args = parse(argv);
            address(args.get("domain-service"));
            address(args.getOrDefault("listen", "127.0.0.1:0"));
        } catch (IllegalArgumentException e) {
            System.err.println(PROGRAM + ": " + e.getMessage());
            System.err.println("usage: " + PROGRAM
                    + " --domain DIR --domain-service HOST:PORT --state DIR [--listen HOST:PORT]");
            System.exit(2);
            return;
        }
        try {
            run(args);
        } catch (TaoException | IOException e) {
            System.err.println(PROGRAM + ": " + e.getMessage());
            System.exit(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void run(Map<String, String> args) throws IOException, TaoException, InterruptedException {
        CoreTao tao = CoreTao.parent();
        System.out.println("name: " + tao.getTaoName());
        Path state = Path.of(args.get("state"));
        Files.createDirectories(state);
        InetSocketAddress domainService = address(args.get("domain-service"));
        try (Domain domain = Domain.load(Path.of(args.get("domain")));
                TaoParadigm paradigm = TaoParadigm.builder(tao, state.resolve("paradigm"))
                        .policyCertificate(domain.policyCertificate()).domainService(domainService).open();
                MasterKey master = MasterKey.openOrCreate(tao, state.resolve("secrets-master.sealed"),
                        CoreTao.SEAL_POLICY_SELF)) {
            ProtectedObjects objects = ProtectedObjects.open(master, DirectoryStore.open(state.resolve("objects")),
                    Clock.systemUTC());
            objects.resumeRewrap();
            ProgramCredentials credentials = ProgramCredentials.of(paradigm.signer(), paradigm.certificateChain(),
                    paradigm.policyCertificate());
            try (SecretService service = SecretService.builder(credentials, objects, domain.guard(),
                            DirectiveVerifier.of(domain.policyVerifier(), Clock.systemUTC()))
                    .listen(address(args.getOrDefault("listen", "127.0.0.1:0")))
                    .revocation(RevocationChecker.fromDomainService(domain.policyCertificate(), domainService).build())
                    .operatorsOf(domain.policyPrincipal())
                    .auditLog(state.resolve("secrets-audit.log"))
                    .start()) {
                // The name clients (and 'tao secrets --service-principal') check the service by.
                System.out.println("certified as: " + credentials.principal());
                System.out.println("listening on " + service.address().getHostString() + ":"
                        + service.address().getPort());
                System.out.flush();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        service.close();
                    } catch (IOException e) {
                        // Exiting anyway.
                    }
                }));
                service.awaitClosed();
            }
        }
    }

    /** {@code --name value} pairs, each known option at most once; the required ones present. */
    static Map<String, String> parse(String[] argv) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < argv.length; i += 2) {
            String option = argv[i];
            if (!option.startsWith("--") || !OPTIONS.contains(option.substring(2))) {
                throw new IllegalArgumentException("unknown option " + option);
            }
            if (i + 1 >= argv.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            if (out.put(option.substring(2), argv[i + 1]) != null) {
                throw new IllegalArgumentException(option + " given twice");
            }
        }
        for (String required : new String[] {"domain", "domain-service", "state"}) {
            if (!out.containsKey(required)) {
                throw new IllegalArgumentException("--" + required + " is required");
            }
        }
        return out;
    }

    static InetSocketAddress address(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("not HOST:PORT: " + text);
        }
        try {
            int port = Integer.parseInt(text.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + text);
            }
            return new InetSocketAddress(text.substring(0, colon), port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not HOST:PORT: " + text);
        }
    }
}
