package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.guard.Guard;
import dev.cloudproxy.tao.keys.Keys;
import java.util.Objects;

/**
 * A host whose keys are open: its directory, verified configuration, the {@link Host} that names
 * and serves its programs, and the guard that decides which programs may execute. Closing it
 * destroys the keys.
 */
public final class OpenedHost implements AutoCloseable {
    private final HostDirectory directory;
    private final HostConfig config;
    private final Keys keys;
    private final Host host;
    private final Guard guard;

    OpenedHost(HostDirectory directory, HostConfig config, Keys keys, Host host, Guard guard) {
        this.directory = Objects.requireNonNull(directory);
        this.config = Objects.requireNonNull(config);
        this.keys = Objects.requireNonNull(keys);
        this.host = Objects.requireNonNull(host);
        this.guard = Objects.requireNonNull(guard);
    }

    public HostDirectory directory() {
        return directory;
    }

    public HostConfig config() {
        return config;
    }

    public Host host() {
        return host;
    }

    public Guard guard() {
        return guard;
    }

    @Override
    public void close() {
        keys.close();
    }

    @Override
    public String toString() {
        return "OpenedHost[" + host.name() + "]";
    }
}
