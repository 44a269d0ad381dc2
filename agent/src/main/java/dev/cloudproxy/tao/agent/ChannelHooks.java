package dev.cloudproxy.tao.agent;

import java.io.IOException;
import java.net.InetAddress;
import java.util.function.Function;

/**
 * Where {@code TaoConnections.peer} lands: tier 1 (system class path), so an application class
 * resolves it; premain installs the tooling's lookup here as a JDK-typed callback.
 */
public final class ChannelHooks {
    /** Takes {localPort, remote address, remote port}; returns the principal text, null, or an IOException. */
    private static volatile Function<Object[], Object> lookup;

    private ChannelHooks() {}

    static void install(Function<Object[], Object> l) {
        lookup = l;
    }

    /**
     * The verified peer principal of the app's connection from {@code localPort} to
     * {@code remote}:{@code remotePort} (the address the app asked for), or null if the agent does
     * not carry it over a Tao channel.
     */
    public static String peer(int localPort, InetAddress remote, int remotePort) throws IOException {
        Function<Object[], Object> l = lookup;
        if (l == null) {
            return null;
        }
        Object r = l.apply(new Object[] {localPort, remote, remotePort});
        if (r instanceof IOException e) {
            throw new IOException(e.getMessage(), e);
        }
        return (String) r;
    }
}
