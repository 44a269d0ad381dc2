package dev.cloudproxy.tao.spi;

import dev.cloudproxy.tao.Tao;
import dev.cloudproxy.tao.TaoException;
import java.util.Iterator;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Where the Tao API finds its implementation: a provider bound once, by the Tao agent before any
 * application class runs; else the first {@link TaoProvider} service on the class path (what
 * {@code tao-core} registers, for programs a host runs without the agent); else none, and
 * {@link Tao#parent()} throws {@link TaoException}.
 *
 * <p>The binding cannot be replaced: the first {@link #bind} wins and later ones throw, so code that
 * runs after premain (all application code) cannot swap the agent's Tao for its own. A program
 * without the agent can bind its own provider, which affects only that program.
 */
public final class TaoBinding {
    private static volatile TaoProvider bound;

    private TaoBinding() {}

    /**
     * Binds the provider the API delegates to, once per class loader of this class.
     *
     * @throws IllegalStateException if a provider is already bound
     */
    public static synchronized void bind(TaoProvider provider) {
        Objects.requireNonNull(provider, "provider");
        if (bound != null) {
            throw new IllegalStateException("a Tao provider is already bound");
        }
        bound = provider;
    }

    /** The bound provider, else the service found on the class path, else one with no Tao. */
    public static TaoProvider provider() {
        TaoProvider p = bound;
        return p != null ? p : Discovered.PROVIDER;
    }

    /** Looked up once, the first time a program without a bound provider needs one. */
    private static final class Discovered {
        static final TaoProvider PROVIDER = discover();

        private static TaoProvider discover() {
            try {
                Iterator<TaoProvider> it = ServiceLoader.load(TaoProvider.class, TaoProvider.class.getClassLoader()).iterator();
                if (it.hasNext()) {
                    return it.next();
                }
            } catch (ServiceConfigurationError e) {
                return new None("the Tao provider on the class path cannot be loaded: " + e.getMessage());
            }
            return new None("this program has no Tao: it was started neither by the Tao launcher or agent nor,"
                    + " with tao-core on its class path, by a Tao host");
        }
    }

    private record None(String why) implements TaoProvider {
        @Override
        public Tao parent() throws TaoException {
            throw new TaoException(why);
        }
    }
}
