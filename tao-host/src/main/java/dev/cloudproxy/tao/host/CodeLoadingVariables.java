package dev.cloudproxy.tao.host;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Environment variables that make a process load code, options or data files it was not measured
 * with. A program's environment is not part of its name, so a measured program must never see
 * these from whoever starts it. One list for every start path: the host refuses them in a
 * program's environment ({@link ProgramSpec#checkEnv}) and the launcher removes them before its
 * app (or anything it spawns) starts.
 *
 * <p>Names are compared without regard to case: refusing {@code ld_preload} costs nothing, and no
 * reader of these variables is checked here for whether it is case-sensitive.
 */
public final class CodeLoadingVariables {
    /** Read by the JVM or the {@code java} launcher as options, agents or class path. */
    private static final Set<String> JVM = Set.of(
            "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "JDK_AOT_VM_OPTIONS", "_JAVA_LAUNCHER_DEBUG",
            "CLASSPATH");
    /**
     * Read by the dynamic linker and the C library of every process: preloads, audit modules and
     * library paths ({@code LD_*}), character set converters ({@code GCONV_PATH}), allocator and
     * loader tunables, locale and message catalog files (parsed by libc, format strings included),
     * and the resolver's host files. These are the ones of glibc's list of variables it drops for
     * set-user-id programs (which are in the same position: started by someone they must not
     * trust) that load code or parse files; {@code TMPDIR} and the allocator's arena sizes, which
     * do neither, are left alone.
     */
    private static final Set<String> C_LIBRARY = Set.of(
            "GCONV_PATH", "GETCONF_DIR", "GLIBC_TUNABLES", "HOSTALIASES", "LOCALDOMAIN", "LOCPATH", "MALLOC_CHECK_",
            "MALLOC_TRACE", "NIS_PATH", "NLSPATH", "RESOLV_HOST_CONF", "RES_OPTIONS", "TZDIR");
    private static final List<String> C_LIBRARY_PREFIXES = List.of("LD_", "DYLD_");
    /** Read by shells and script interpreters at start: a script program would run their code. */
    private static final Set<String> INTERPRETERS = Set.of(
            "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PS4", "IFS", "CDPATH",
            "PERL5LIB", "PERL5OPT", "PERLLIB", "RUBYOPT", "RUBYLIB", "NODE_OPTIONS", "NODE_PATH");
    private static final List<String> INTERPRETER_PREFIXES = List.of("PYTHON");

    private CodeLoadingVariables() {}

    /**
     * Whether {@code name} makes a JVM process itself load code, options or data files: the JVM's
     * option variables and the dynamic linker's and C library's. What the launcher removes.
     */
    public static boolean reachesTheJvm(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        return JVM.contains(upper) || C_LIBRARY.contains(upper) || C_LIBRARY_PREFIXES.stream().anyMatch(upper::startsWith);
    }

    /**
     * Whether {@code name} makes any program load code, options or data it was not measured with:
     * {@link #reachesTheJvm} and also what shells and script interpreters read. What the host
     * refuses in a program's environment, since a program may be a script.
     */
    public static boolean reachesAnyProgram(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        return reachesTheJvm(name) || INTERPRETERS.contains(upper)
                || INTERPRETER_PREFIXES.stream().anyMatch(upper::startsWith);
    }
}
