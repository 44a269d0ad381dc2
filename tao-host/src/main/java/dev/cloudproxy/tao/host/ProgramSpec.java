package dev.cloudproxy.tao.host;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What to run as a hosted program: which factory measures and starts it ({@value #PROCESS} or
 * {@value #JVM}), the executable or jar, and its arguments, environment and working directory.
 *
 * <p>Only the code is measured (the executable; for a JVM program also its class path, main class,
 * JVM options and runtime): arguments, environment and working directory are <em>not</em> part of
 * the program's name, so one program keeps its name, and its sealed data, whatever it is given.
 * A program must therefore treat them as input. Environment variables that make a process load
 * code it was not measured with ({@code LD_PRELOAD}, {@code BASH_ENV}, {@code JAVA_TOOL_OPTIONS},
 * ...) are refused (docs/host.md).
 */
public record ProgramSpec(String factory, Path path, List<String> args, List<String> env, Optional<Path> directory,
        List<String> jvmOptions, Optional<String> mainClass, List<Path> classpath) {
    public static final String PROCESS = "process";
    public static final String JVM = "jvm";

    /** Most arguments, environment entries, JVM options or class path entries. */
    public static final int MAX_ITEMS = 4096;
    /** Longest argument or environment entry. */
    public static final int MAX_ITEM_CHARS = 128 * 1024;

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    /** Set by the host itself for every program, so not the caller's to choose. */
    private static final Set<String> SET_BY_THE_HOST = Set.of("TAO_HOST_SOCKET", "JAVA_HOME", "PATH");

    public ProgramSpec {
        Objects.requireNonNull(factory, "factory");
        Objects.requireNonNull(path, "path");
        if (!factory.equals(PROCESS) && !factory.equals(JVM)) {
            throw new IllegalArgumentException("unknown program factory '" + factory + "' (process or jvm)");
        }
        args = bounded(args, "arguments");
        env = bounded(env, "environment entries");
        jvmOptions = bounded(jvmOptions, "JVM options");
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(mainClass, "mainClass");
        classpath = List.copyOf(classpath);
        if (classpath.size() > MAX_ITEMS) {
            throw new IllegalArgumentException("more than " + MAX_ITEMS + " class path entries");
        }
        if (factory.equals(PROCESS) && (!jvmOptions.isEmpty() || mainClass.isPresent() || !classpath.isEmpty())) {
            throw new IllegalArgumentException("JVM options, a main class and a class path need the jvm factory");
        }
        for (String e : env) {
            checkEnv(e);
        }
    }

    /** A native executable or script, started as it is. */
    public static ProgramSpec process(Path executable, List<String> args) {
        return new ProgramSpec(PROCESS, executable, args, List.of(), Optional.empty(), List.of(), Optional.empty(),
                List.of());
    }

    /** A Java program: {@code java [options] -cp jar[:classpath] Main args}. */
    public static ProgramSpec jvm(Path jar, List<String> args) {
        return new ProgramSpec(JVM, jar, args, List.of(), Optional.empty(), List.of(), Optional.empty(), List.of());
    }

    public ProgramSpec withEnv(List<String> entries) {
        return new ProgramSpec(factory, path, args, entries, directory, jvmOptions, mainClass, classpath);
    }

    public ProgramSpec withDirectory(Path dir) {
        return new ProgramSpec(factory, path, args, env, Optional.of(dir), jvmOptions, mainClass, classpath);
    }

    public ProgramSpec withJvmOptions(List<String> options) {
        return new ProgramSpec(factory, path, args, env, directory, options, mainClass, classpath);
    }

    public ProgramSpec withMainClass(String main) {
        return new ProgramSpec(factory, path, args, env, directory, jvmOptions, Optional.of(main), classpath);
    }

    public ProgramSpec withClasspath(List<Path> entries) {
        return new ProgramSpec(factory, path, args, env, directory, jvmOptions, mainClass, entries);
    }

    /**
     * Checks one {@code NAME=VALUE} entry.
     *
     * @throws IllegalArgumentException if it is malformed or names a variable that loads code
     */
    public static void checkEnv(String entry) {
        int eq = entry.indexOf('=');
        String name = eq < 0 ? entry : entry.substring(0, eq);
        if (eq < 0 || !ENV_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("an environment entry is NAME=VALUE with a name of letters, digits and _");
        }
        String upper = name.toUpperCase(Locale.ROOT);
        if (SET_BY_THE_HOST.contains(upper) || CodeLoadingVariables.reachesAnyProgram(name)) {
            throw new IllegalArgumentException("the environment variable " + name
                    + " is refused: it can change what code runs, and the environment is not measured");
        }
    }

    private static List<String> bounded(List<String> items, String what) {
        List<String> copy = List.copyOf(items);
        if (copy.size() > MAX_ITEMS) {
            throw new IllegalArgumentException("more than " + MAX_ITEMS + " " + what);
        }
        for (String s : copy) {
            if (s.length() > MAX_ITEM_CHARS || s.indexOf('\0') >= 0) {
                throw new IllegalArgumentException(what + " must be at most " + MAX_ITEM_CHARS
                        + " characters and contain no NUL");
            }
        }
        return copy;
    }
}
