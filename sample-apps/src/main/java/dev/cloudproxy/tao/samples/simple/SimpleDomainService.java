package dev.cloudproxy.tao.samples.simple;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domainservice.DomainService;
import dev.cloudproxy.tao.keys.WrongPasswordException;
import dev.cloudproxy.tao.metrics.MetricsEndpoint;
import java.io.IOException;
import java.util.Arrays;
import java.util.Set;

/**
 * The domain service of SimpleExample, run as a hosted program: opens the domain with its policy
 * key (the password from {@code TAO_PASSWORD}) and certifies programs the domain's guard
 * authorizes, until it is stopped.
 *
 * <pre>
 * SimpleDomainService --domain DIR [--listen HOST:PORT] [--metrics HOST:PORT]
 * </pre>
 *
 * <p>With {@code --metrics} it also serves the service's counters in the Prometheus text format
 * and prints {@code metrics at http://HOST:PORT/metrics} after the address it listens on.
 *
 * Prints {@code name: <its Tao name>} and then {@code listening on HOST:PORT} once it accepts
 * requests.
 */
public final class SimpleDomainService {
    static final String PROGRAM = "SimpleDomainService";

    private SimpleDomainService() {}

    public static void main(String[] argv) {
        SimpleArgs args = null;
        try {
            args = SimpleArgs.parse(PROGRAM, argv, Set.of("domain", "listen", "metrics"));
            String password = System.getenv("TAO_PASSWORD");
            if (password == null || password.isEmpty()) {
                args.fail(2, "set TAO_PASSWORD to the domain's policy password");
                return;
            }
            System.out.println("name: " + CoreTao.parent().getTaoName());
            char[] pw = password.toCharArray();
            try (Domain domain = Domain.loadWithKeys(args.path("domain"), pw);
                    DomainService service = DomainService.builder(domain)
                            .listen(SimpleArgs.address("listen", args.optional("listen", "127.0.0.1:0")))
                            .start()) {
                Arrays.fill(pw, '\0');
                System.out.println("listening on " + service.address().getHostString() + ":"
                        + service.address().getPort());
                String metrics = args.optional("metrics", null);
                MetricsEndpoint endpoint = metrics == null ? null
                        : MetricsEndpoint.start(SimpleArgs.address("metrics", metrics), service.metrics());
                if (endpoint != null) {
                    System.out.println("metrics at http://" + endpoint.address().getHostString() + ":"
                            + endpoint.address().getPort() + MetricsEndpoint.PATH);
                }
                System.out.flush();
                Runtime.getRuntime().addShutdownHook(new Thread(service::close));
                service.awaitClosed();
                if (endpoint != null) {
                    endpoint.close();
                }
            }
        } catch (SimpleArgs.UsageException e) {
            System.err.println(PROGRAM + ": " + e.getMessage());
            System.exit(2);
        } catch (WrongPasswordException e) {
            args.fail(1, "TAO_PASSWORD does not open the policy key");
        } catch (TaoException | IOException e) {
            args.fail(1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
