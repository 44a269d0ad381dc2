package dev.cloudproxy.tao.host;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The one JVM-option allowlist of the project: which options a hosted JVM program (the launcher's
 * app, or a host's {@code jvm} program) may be started with.
 *
 * <p>An option is accepted only if it belongs to a family known to be safe, and everything else is
 * refused, so that an option nobody thought of fails closed. Safe means: it cannot load code the
 * measurement does not see, open a management, debugging, attach or diagnostic channel into the
 * process, weaken the JVM's security configuration, route connections around the agent's hooks,
 * or undo the hardening flags. The families (docs/launcher.md, "JVM options", lists them for users):
 * <ul>
 *   <li>heap, stack, metaspace and code cache sizes ({@code -Xmx}, {@code -Xms}, {@code -Xss},
 *       {@code -Xmn}, {@code -XX:MaxRAMPercentage=}, ...), processor count;
 *   <li>garbage collector selection and tuning ({@code -XX:+UseG1GC}, {@code -XX:MaxGCPauseMillis=}, ...),
 *       JIT tiers and compiler thread counts;
 *   <li>logging: {@code -Xlog...}, {@code -verbose:gc|class|module|jni};
 *   <li>assertions: {@code -ea}, {@code -da}, {@code -esa}, {@code -dsa} and their long forms;
 *   <li>system properties {@code -Dname[=value]} outside the namespaces that configure the JVM's
 *       management, attach, RMI, security, TLS, networking (proxies, socket providers), class loading
 *       or native libraries ({@link #REFUSED_PROPERTY_PREFIXES});
 *   <li>the launcher's own hardening flags in their hardening sense, {@code -Xshare:off|auto},
 *       {@code --enable-native-access=ALL-UNNAMED}, {@code --enable-preview}, {@code -Xrs}.
 * </ul>
 *
 * <p>Thread-safe and stateless.
 */
public final class JvmOptionPolicy {
    /** Longest option accepted (a property value can be long, but not unbounded). */
    public static final int MAX_OPTION_CHARS = 8192;

    private static final String SIZE = "\\d{1,15}[kKmMgGtT]?";
    private static final String NUMBER = "\\d{1,15}";
    private static final Pattern SIZE_OPTION = Pattern.compile("-X(mx|ms|ss|mn)" + SIZE);

    /** {@code -XX:Name=value} flags whose value is a size or a number, by name. */
    private static final Set<String> XX_VALUES = Set.of(
            // heap and memory sizes
            "MaxHeapSize", "InitialHeapSize", "MinHeapSize", "MaxNewSize", "NewSize", "NewRatio", "SurvivorRatio",
            "MaxRAM", "MaxRAMPercentage", "InitialRAMPercentage", "MinRAMPercentage", "SoftMaxHeapSize",
            "ThreadStackSize", "MetaspaceSize", "MaxMetaspaceSize", "CompressedClassSpaceSize",
            "ReservedCodeCacheSize", "InitialCodeCacheSize", "MaxDirectMemorySize", "ActiveProcessorCount",
            // garbage collection
            "MaxGCPauseMillis", "GCTimeRatio", "ParallelGCThreads", "ConcGCThreads", "G1HeapRegionSize",
            "InitiatingHeapOccupancyPercent", "G1ReservePercent", "G1PeriodicGCInterval", "MaxTenuringThreshold",
            "InitialTenuringThreshold", "SoftRefLRUPolicyMSPerMB", "MinHeapFreeRatio", "MaxHeapFreeRatio",
            "ZCollectionInterval", "ZAllocationSpikeTolerance", "ZUncommitDelay", "ShenandoahGCHeuristics",
            // compilers
            "TieredStopAtLevel", "CICompilerCount");

    /** {@code -XX:+Name} and {@code -XX:-Name} flags, either sign. */
    private static final Set<String> XX_BOOLEANS = Set.of(
            "UseG1GC", "UseParallelGC", "UseSerialGC", "UseZGC", "UseShenandoahGC", "ZGenerational",
            "UseStringDeduplication", "ExplicitGCInvokesConcurrent", "DisableExplicitGC", "UseNUMA",
            "AlwaysPreTouch", "UseAdaptiveSizePolicy", "ParallelRefProcEnabled", "G1UseAdaptiveIHOP",
            "ZUncommit", "ShrinkHeapInSteps", "UseContainerSupport", "UseCompressedOops",
            "UseCompressedClassPointers", "UseLargePages", "UseTransparentHugePages", "TieredCompilation",
            "OmitStackTraceInFastThrow", "ShowCodeDetailsInExceptionMessages",
            "ExitOnOutOfMemoryError", "UseCompactObjectHeaders");

    /**
     * The hardening flags, accepted only with the sign that hardens (the other sign is refused
     * below with its reason).
     */
    private static final Set<String> HARDENING = Set.of(
            "-XX:+DisableAttachMechanism", "-XX:-UsePerfData", "-XX:-HeapDumpOnOutOfMemoryError",
            "-XX:-CreateCoredumpOnCrash", "-Djdk.attach.allowAttachSelf=false", "-XX:-EnableDynamicAgentLoading",
            "-XX:-StartAttachListener");

    /** Other single options, exactly. */
    private static final Set<String> EXACT = Set.of(
            "-Xshare:off", "-Xshare:auto", "--enable-native-access=ALL-UNNAMED", "--enable-preview", "-Xrs",
            "-server", "-Xint", "-Xmixed", "-Xcomp", "-Xbatch",
            "-ea", "-da", "-esa", "-dsa", "-enableassertions", "-disableassertions", "-enablesystemassertions",
            "-disablesystemassertions", "-verbose:gc", "-verbose:class", "-verbose:module", "-verbose:jni");

    /** {@code -ea:pkg...}, {@code -da:Class}: assertion switches for the app's own packages. */
    private static final Pattern ASSERTIONS = Pattern.compile(
            "-(ea|da|enableassertions|disableassertions):[A-Za-z0-9_.$]{0,500}(\\.\\.\\.)?");

    /**
     * System property namespaces refused: each configures a management, attach, RMI, naming-codebase,
     * security, TLS or networking channel, class loading or native code (or is the JDK's own,
     * {@code jdk.}, {@code sun.}, {@code com.sun.}: too many of those weaken something to list the safe ones).
     */
    static final List<String> REFUSED_PROPERTY_PREFIXES = List.of(
            "com.sun.", "sun.", "jdk.", "jmx.", "java.rmi.", "javax.rmi.", "java.security.", "javax.security.",
            "javax.net.", "javax.management.", "java.nio.channels.spi.", "java.class.path", "java.library.path",
            "java.home", "java.system.class.loader", "java.ext.dirs", "java.endorsed.dirs",
            "java.net.useSystemProxies", "socksProxy", "socksNonProxyHosts", "http.proxy", "https.proxy",
            "http.nonProxyHosts", "ftp.proxy", "ftp.nonProxyHosts", "java.protocol.handler.pkgs");

    private static final Pattern PROPERTY_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.$-]{0,255}");

    /** Known-dangerous options, by prefix, with the reason named in the refusal. */
    private record Known(String prefix, String why) {}

    private static final String LOADS_CODE = "it loads code the measurement does not see";
    private static final String DEBUG = "it opens a debugging channel into the app";
    private static final String UNDO = "it would undo the launcher's hardening (attach, perf data, dumps)";

    private static final List<Known> KNOWN = List.of(
            new Known("-Dcom.sun.management", "it opens a remote management (JMX) channel into the app"),
            new Known("-Djmx", "it configures a remote management (JMX) channel into the app"),
            new Known("-Djavax.management", "it configures a remote management (JMX) channel into the app"),
            new Known("-Djava.rmi", "it configures RMI, a remote code and management channel"),
            new Known("-Dsun.rmi", "it configures RMI, a remote code and management channel"),
            new Known("-Djdk.attach", UNDO),
            new Known("-Djava.security", "it replaces the JVM's security configuration"),
            new Known("-Djavax.net.ssl", "it replaces the JVM's TLS trust or key configuration"),
            new Known("-Djdk.tls", "it changes the JVM's TLS configuration"),
            new Known("-agentlib:jdwp", DEBUG),
            new Known("-Xrunjdwp", DEBUG),
            new Known("-Xdebug", DEBUG),
            new Known("-javaagent", LOADS_CODE),
            new Known("-agentlib", LOADS_CODE),
            new Known("-agentpath", LOADS_CODE),
            new Known("-Xrun", LOADS_CODE),
            new Known("-Xbootclasspath", LOADS_CODE),
            new Known("--patch-module", LOADS_CODE),
            new Known("--upgrade-module-path", LOADS_CODE),
            new Known("-Djava.library.path", LOADS_CODE),
            new Known("-Djava.class.path", LOADS_CODE),
            new Known("-Djava.system.class.loader", LOADS_CODE),
            new Known("--add-opens", "it opens the JDK's internals to reflection"),
            new Known("--add-exports", "it opens the JDK's internals to reflection"),
            new Known("@", "argument files are not measured"),
            new Known("-XX:Flags", "options files are not measured"),
            new Known("-XX:VMOptionsFile", "options files are not measured"),
            new Known("-XX:SharedArchiveFile", "class data archives are not measured"),
            new Known("-XX:-DisableAttachMechanism", UNDO),
            new Known("-XX:+StartAttachListener", UNDO),
            new Known("-XX:+EnableDynamicAgentLoading", UNDO),
            new Known("-XX:+UsePerfData", UNDO),
            new Known("-XX:+HeapDump", UNDO),
            new Known("-XX:HeapDumpPath", UNDO),
            new Known("-XX:+CreateCoredumpOnCrash", UNDO),
            new Known("-XX:+Unlock", "it unlocks diagnostic or experimental flags that are not on the list"),
            new Known("-XX:OnError", "it runs a command"),
            new Known("-XX:OnOutOfMemoryError", "it runs a command"),
            new Known("-XX:StartFlightRecording", "it records the app's internals to a file"),
            new Known("-XX:+FlightRecorder", "it records the app's internals to a file"),
            new Known("-XX:+ManagementServer", "it opens a remote management (JMX) channel into the app"),
            new Known("-XX:+EnableJVMCI", LOADS_CODE));

    private JvmOptionPolicy() {}

    /**
     * Returns normally if {@code option} belongs to a safe family.
     *
     * @throws RefusedJvmOptionException naming the option (printable, shortened) and why it is refused
     */
    public static void check(String option) throws RefusedJvmOptionException {
        if (option.isEmpty() || option.length() > MAX_OPTION_CHARS || option.indexOf('\0') >= 0) {
            throw new RefusedJvmOptionException(option, "it is empty, longer than " + MAX_OPTION_CHARS
                    + " characters or contains NUL");
        }
        if (HARDENING.contains(option)) {
            return;
        }
        for (Known k : KNOWN) {
            if (option.startsWith(k.prefix())) {
                throw new RefusedJvmOptionException(option, k.why());
            }
        }
        if (!accepted(option)) {
            throw new RefusedJvmOptionException(option, option.startsWith("-D")
                    ? "its namespace configures the JVM's management, security, networking or class loading"
                    : "it is not in a family of options known to be safe (heap, GC, logging, assertions,"
                            + " ordinary -D properties; see docs/launcher.md)");
        }
    }

    /** Checks each option of {@code options} in order. */
    public static void checkAll(List<String> options) throws RefusedJvmOptionException {
        for (String o : options) {
            check(o);
        }
    }

    private static boolean accepted(String o) {
        if (EXACT.contains(o) || SIZE_OPTION.matcher(o).matches()
                || ASSERTIONS.matcher(o).matches()) {
            return true;
        }
        if (o.equals("-Xlog") || o.startsWith("-Xlog:")) {
            return true;
        }
        if (o.startsWith("-XX:+") || o.startsWith("-XX:-")) {
            return XX_BOOLEANS.contains(o.substring(5));
        }
        if (o.startsWith("-XX:")) {
            int eq = o.indexOf('=');
            return eq > 4 && XX_VALUES.contains(o.substring(4, eq))
                    && (o.substring(eq + 1).matches(SIZE) || o.substring(eq + 1).matches(NUMBER)
                            || o.substring(eq + 1).matches("[a-z]{1,20}"));
        }
        if (o.startsWith("-D")) {
            int eq = o.indexOf('=');
            String name = eq < 0 ? o.substring(2) : o.substring(2, eq);
            return PROPERTY_NAME.matcher(name).matches()
                    && REFUSED_PROPERTY_PREFIXES.stream().noneMatch(name::startsWith);
        }
        return false;
    }

    /**
     * An option as printed in a refusal: printable ASCII, at most 80 characters, and a property's
     * value left out ({@code -Djavax.net.ssl.keyStorePassword=...}: values can be secrets).
     */
    static String quote(String option) {
        int eq = option.indexOf('=');
        String s = option.startsWith("-D") && eq > 0 ? option.substring(0, eq + 1) + "..." : option;
        StringBuilder sb = new StringBuilder("'");
        s.codePoints().limit(80).forEach(cp -> sb.appendCodePoint(cp >= 0x20 && cp < 0x7f ? cp : '?'));
        return sb.append(s.length() > 80 ? "...'" : "'").toString();
    }
}
