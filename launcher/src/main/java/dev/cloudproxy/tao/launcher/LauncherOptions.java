package dev.cloudproxy.tao.launcher;

import dev.cloudproxy.tao.agent.rules.ChannelRule;
import dev.cloudproxy.tao.agent.rules.ChannelRules;
import dev.cloudproxy.tao.agent.rules.ChannelRulesException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The launcher's command line: {@code [options] app.jar [app args]}. Options end at the first
 * argument that does not start with {@code -} (the app jar) or at {@code --}; everything after the
 * app jar belongs to the app, unchanged.
 */
record LauncherOptions(
        Path appJar,
        List<String> appArgs,
        List<Path> classpath,
        Optional<String> mainClass,
        List<String> jvmOptions,
        ChannelRules rules,
        Optional<String> stateName,
        long sealEverySeconds,
        Optional<Path> hostSocket,
        boolean devRoot,
        Optional<Path> javaHome,
        boolean verbose,
        Optional<String> domainService,
        Optional<byte[]> policyCertificate,
        OptionalLong crlRefreshSeconds,
        boolean crlAllowStale,
        boolean printName) {

    static final String USAGE = String.join("\n",
            "usage: java -jar tao-launcher.jar [options] app.jar [app arguments]",
            "   or: java [JVM options] -javaagent:tao-launcher.jar[=OPTION,...] -cp app.jar[:...] Main|-jar app.jar [args]",
            "       (OPTION: an option below without its --, e.g. rule=out * 25 DENY,v; see docs/launcher.md)",
            "  --cp PATH             more class path after app.jar, as java -cp takes it: a.jar:b.jar, lib/*,",
            "                        classes/ (repeatable)",
            "  --main CLASS          the main class (default: the jar's Main-Class)",
            "  --jvm-option OPT      a JVM option for the app, e.g. --jvm-option=-Xmx1g (repeatable)",
            "  --rule 'DIR ADDR PORT ACTION'   a channel rule, e.g. 'out 10.0.0.0/8 443 TAO' (repeatable)",
            "  --rules FILE          channel rules, one per line",
            "  --state NAME          where @TaoSealed state lives: $TAO_HOME/launcher/state/NAME.sealed",
            "                        (default: the app jar's name without .jar, plus +MainClass with --main)",
            "  --seal-every SECONDS  periodic seal of changed @TaoSealed state (default 10; 0: only at exit/flush)",
            "  --domain-service HOST:PORT  the domain service that certifies the app for TAO rules",
            "  --policy-cert FILE    the domain's policy certificate (PEM), the trust anchor of Tao channels",
            "  --crl-refresh SECONDS how often Tao channels fetch the domain's CRL (default 60, 1 to 86400)",
            "  --crl-allow-stale     accept a CRL past its next update (warned; default: refuse every peer)",
            "  --host-socket PATH    run on the Tao host with this admin socket (stacked mode)",
            "  --dev-root            use the development soft root even if a Tao host is running",
            "  --java-home DIR       the Java runtime for the app (default: the launcher's own)",
            "  --print-name          print the app's Tao name (host name and measurement) and exit without",
            "                        running it; on a Tao host the host runs the launcher to learn it",
            "  -v, --verbose         print the measurement, the app's Tao name and the agent's view",
            "                        (rules and what they decided, certificate, relay ports) on standard error",
            "environment: TAO_HOME (default ~/.tao), TAO_PASSWORD (the development root's password),",
            "             TAO_HOST_ADMIN (a Tao host's admin socket)");

    static LauncherOptions parse(List<String> args) throws LauncherException {
        List<Path> cp = new ArrayList<>();
        List<String> jvm = new ArrayList<>();
        ChannelRules rules = ChannelRules.NONE;
        String main = null;
        String state = null;
        long sealEvery = 10;
        Path hostSocket = null;
        boolean devRoot = false;
        Path javaHome = null;
        boolean verbose = false;
        String domainService = null;
        byte[] policyCert = null;
        OptionalLong crlRefresh = OptionalLong.empty();
        boolean crlAllowStale = false;
        boolean printName = false;
        int i = 0;
        while (i < args.size()) {
            String a = args.get(i);
            if (a.equals("--")) {
                i++;
                break;
            }
            if (!a.startsWith("-")) {
                break;
            }
            String name = a;
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            switch (name) {
                case "-v", "--verbose" -> verbose = true;
                case "--dev-root" -> devRoot = true;
                case "--crl-allow-stale" -> crlAllowStale = true;
                case "--print-name" -> printName = true;
                case "-h", "--help" -> throw new UsageRequested();
                default -> {
                    if (value == null) {
                        if (i + 1 >= args.size()) {
                            throw new LauncherException(name + " needs a value\n" + USAGE);
                        }
                        value = args.get(++i);
                    }
                    switch (name) {
                        case "--cp" -> cp.addAll(classPath(value));
                        case "--main" -> main = value;
                        case "--jvm-option" -> {
                            // Refused here, before any host or key is touched.
                            JvmOptions.check(value);
                            jvm.add(value);
                        }
                        case "--rule" -> rules = rules.then(parseRules(value, "--rule"));
                        case "--rules" -> rules = rules.then(parseRules(readRules(Path.of(value)), value));
                        case "--state" -> state = stateName(value);
                        case "--seal-every" -> {
                            if (!value.matches("\\d{1,6}")) {
                                throw new LauncherException("--seal-every takes a number of seconds");
                            }
                            sealEvery = Long.parseLong(value);
                        }
                        case "--host-socket" -> hostSocket = Path.of(value);
                        case "--java-home" -> javaHome = Path.of(value);
                        case "--domain-service" -> {
                            if (!value.matches("[A-Za-z0-9.:_\\[\\]-]{1,300}:\\d{1,5}")) {
                                throw new LauncherException("--domain-service takes HOST:PORT");
                            }
                            domainService = value;
                        }
                        case "--policy-cert" -> policyCert = policyCertificate(Path.of(value));
                        case "--crl-refresh" -> {
                            if (!value.matches("\\d{1,5}") || Long.parseLong(value) < 1 || Long.parseLong(value) > 86_400) {
                                throw new LauncherException("--crl-refresh takes a number of seconds from 1 to 86400");
                            }
                            crlRefresh = OptionalLong.of(Long.parseLong(value));
                        }
                        default -> throw new LauncherException("unknown option " + quote(name) + "\n" + USAGE);
                    }
                }
            }
            i++;
        }
        if (i >= args.size()) {
            throw new LauncherException("no app jar given\n" + USAGE);
        }
        Path app = Path.of(args.get(i));
        List<String> appArgs = List.copyOf(args.subList(i + 1, args.size()));
        if ((domainService == null) != (policyCert == null)) {
            throw new LauncherException("--domain-service and --policy-cert go together");
        }
        requireDomainForTao(rules, domainService != null);
        if (domainService == null && (crlRefresh.isPresent() || crlAllowStale)) {
            throw new LauncherException("--crl-refresh and --crl-allow-stale need --domain-service and --policy-cert");
        }
        return new LauncherOptions(app, appArgs, List.copyOf(cp), Optional.ofNullable(main), List.copyOf(jvm), rules,
                Optional.ofNullable(state), sealEvery, Optional.ofNullable(hostSocket), devRoot,
                Optional.ofNullable(javaHome), verbose, Optional.ofNullable(domainService), Optional.ofNullable(policyCert),
                crlRefresh, crlAllowStale, printName);
    }

    /**
     * {@code TAO} rules need the domain: without it, every connection they select would be
     * refused, and a server under {@code in ... TAO} would die at its first bind. Refused here,
     * before anything runs, naming the missing options.
     */
    private static void requireDomainForTao(ChannelRules rules, boolean haveDomain) throws LauncherException {
        if (haveDomain || !rules.needsTao()) {
            return;
        }
        ChannelRule first = rules.rules().stream().filter(r -> r.action() == ChannelRule.Action.TAO).findFirst()
                .orElseThrow();
        throw new LauncherException("the rule '" + first + "' needs Tao channels: give --domain-service HOST:PORT "
                + "and --policy-cert FILE (the domain that certifies this app)");
    }

    /** Thrown for --help: not an error. */
    static final class UsageRequested extends LauncherException {
        private static final long serialVersionUID = 1L;

        UsageRequested() {
            super(USAGE);
        }
    }

    private static ChannelRules parseRules(String text, String where) throws LauncherException {
        try {
            return ChannelRules.parse(text);
        } catch (ChannelRulesException e) {
            throw new LauncherException(where + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new LauncherException(where + ": " + e.getMessage());
        }
    }

    private static String readRules(Path file) throws LauncherException {
        try {
            if (Files.size(file) > ChannelRules.MAX_TEXT_CHARS) {
                throw new LauncherException("rules file " + file + " is larger than " + ChannelRules.MAX_TEXT_CHARS + " bytes");
            }
            byte[] b = Files.readAllBytes(file);
            if (b.length > ChannelRules.MAX_TEXT_CHARS) {
                throw new LauncherException("rules file " + file + " is larger than " + ChannelRules.MAX_TEXT_CHARS + " bytes");
            }
            return new String(b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new LauncherException("cannot read rules file " + file + ": " + e.getMessage());
        }
    }

    /** The DER of the policy certificate in {@code file} (PEM or DER). */
    private static byte[] policyCertificate(Path file) throws LauncherException {
        try {
            byte[] raw = dev.cloudproxy.tao.io.AtomicFiles.readAtMost(file, 64 * 1024 + 1);
            if (raw.length > 64 * 1024) {
                throw new LauncherException("policy certificate " + file + " is too large");
            }
            java.security.cert.Certificate c = java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(raw));
            return c.getEncoded();
        } catch (IOException | java.security.cert.CertificateException e) {
            throw new LauncherException("cannot read the policy certificate " + file + ": " + e.getMessage());
        }
    }

    /**
     * A {@code --cp} value split as {@code java -cp} splits it, at {@link java.io.File#pathSeparator};
     * wildcards stay as they are (the copy expands them). An empty element, which {@code java}
     * takes for the working directory, is refused: it is more often a stray separator.
     */
    private static List<Path> classPath(String value) throws LauncherException {
        List<Path> out = new ArrayList<>();
        for (String element : value.split(java.util.regex.Pattern.quote(java.io.File.pathSeparator), -1)) {
            if (element.isEmpty()) {
                throw new LauncherException("--cp " + quote(value) + " has an empty element; write . for the working directory");
            }
            try {
                out.add(Path.of(element));
            } catch (java.nio.file.InvalidPathException e) {
                throw new LauncherException("--cp: not a path: " + quote(element));
            }
        }
        return out;
    }

    private static String stateName(String s) throws LauncherException {
        if (!s.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,99}")) {
            throw new LauncherException("--state must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return s;
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("'");
        s.codePoints().limit(60).forEach(cp -> sb.appendCodePoint(cp >= 0x20 && cp < 0x7f ? cp : '?'));
        return sb.append(s.length() > 60 ? "...'" : "'").toString();
    }
}
