package dev.cloudproxy.tao.samples.simple;

import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.io.AtomicFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code --name value} options the SimpleExample programs take, with the errors a user
 * should see (an unknown or repeated option, a missing value, a bad address or certificate).
 */
final class SimpleArgs {
    private static final int MAX_PEM = 64 * 1024;
    private final String program;
    private final Map<String, String> values = new LinkedHashMap<>();

    private SimpleArgs(String program) {
        this.program = program;
    }

    /** Thrown for a usage error; the message is for the user. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    static SimpleArgs parse(String program, String[] args, Set<String> allowed) throws UsageException {
        SimpleArgs a = new SimpleArgs(program);
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (!name.startsWith("--") || !allowed.contains(name.substring(2))) {
                throw new UsageException("unknown option " + name);
            }
            if (i + 1 >= args.length) {
                throw new UsageException(name + " needs a value");
            }
            if (a.values.put(name.substring(2), args[++i]) != null) {
                throw new UsageException(name + " is given twice");
            }
        }
        return a;
    }

    String required(String name) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            throw new UsageException("--" + name + " is required");
        }
        return v;
    }

    String optional(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    Path path(String name) throws UsageException {
        return Path.of(required(name));
    }

    InetSocketAddress address(String name) throws UsageException {
        return address(name, required(name));
    }

    static InetSocketAddress address(String name, String value) throws UsageException {
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            throw new UsageException("--" + name + " must be HOST:PORT, not " + value);
        }
        try {
            int port = Integer.parseInt(value.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(value.substring(0, colon), port);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " has a bad port: " + value);
        }
    }

    /** One PEM certificate read from the file named by option {@code name}. */
    X509Certificate certificate(String name) throws UsageException, IOException {
        Path file = path(name);
        try {
            return ProgramCertificate.parsePem(AtomicFiles.readAtMost(file, MAX_PEM + 1));
        } catch (CertificateException e) {
            throw new UsageException("--" + name + " " + file + ": " + e.getMessage());
        }
    }

    /** Certificates from the optional option {@code name}: none when it is absent. */
    List<X509Certificate> certificates(String name) throws UsageException, IOException {
        return values.containsKey(name) ? List.of(certificate(name)) : List.of();
    }

    /** Prints {@code program: message} to standard error and exits with {@code status}. */
    void fail(int status, String message) {
        System.err.println(program + ": " + message);
        System.exit(status);
    }
}
