package dev.cloudproxy.tao.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An existing {@code java} command line that names {@code -javaagent:tao-launcher.jar[=OPTIONS]},
 * turned into the launcher's command line that gives the same app the same JVM options, class
 * path, main class and arguments ({@link LauncherAgent}):
 * <pre>
 * java [JVM options] -javaagent:tao-launcher.jar=rule=in 127.0.0.1 9092 TAO,v -cp a.jar:b.jar Main x y
 *   becomes
 * tao-launcher --rule=in 127.0.0.1 9092 TAO -v --jvm-option=OPT... --main Main --cp b.jar -- a.jar x y
 * </pre>
 *
 * <p>The JVM's options are taken where the JVM took them, in its order: {@code JAVA_TOOL_OPTIONS},
 * then {@code JDK_JAVA_OPTIONS} (which the {@code java} launcher reads as if it came first on the
 * command line), then the command line, then {@code _JAVA_OPTIONS}. The launcher's own
 * {@code -javaagent} option is removed; every other option goes to the launcher as
 * {@code --jvm-option}, so an option the launcher refuses ({@code -agentlib:jdwp=...}, another
 * {@code -javaagent}, {@code @argfiles}) is refused with the launcher's message, and the
 * launcher's allowlist, nothing here, decides what the app's JVM gets.
 *
 * <p>Refused here: module mode ({@code -m}), source-file mode ({@code java Hello.java}), a class
 * path whose first element is not a jar file (the launcher measures an app jar), launcher options
 * that the {@code java} command itself already says ({@code cp}, {@code main}, {@code jvm-option},
 * {@code java-home}), the launcher's agent named twice, and a JVM not started by the {@code java}
 * command ({@code javac}, {@code jar}, {@code jshell}, a program embedding a JVM: what follows their
 * name is not a java command, and refusing is the fail-closed answer when the agent is in
 * {@code JAVA_TOOL_OPTIONS} for every JVM).
 */
final class JavaCommandLine {
    /** The launcher options an agent option may name; each becomes {@code --NAME[=VALUE]}. */
    private static final Set<String> WITH_VALUE = Set.of("rule", "rules", "state", "seal-every", "domain-service",
            "policy-cert", "crl-refresh", "host-socket");
    private static final Set<String> FLAGS = Set.of("v", "verbose", "dev-root", "crl-allow-stale");
    /** Said by the java command itself; named in the message that refuses them. */
    private static final Set<String> FROM_THE_COMMAND = Set.of("cp", "main", "jvm-option", "java-home");

    /** The JVM's option variables, in the order the JVM reads them around the command line. */
    static final String TOOL_OPTIONS = "JAVA_TOOL_OPTIONS";
    static final String JDK_OPTIONS = "JDK_JAVA_OPTIONS";
    static final String LATE_OPTIONS = "_JAVA_OPTIONS";
    static final String CLASSPATH = "CLASSPATH";

    /** {@code java} launcher options whose value is the next argument (or follows {@code =}). */
    private static final Set<String> TWO_ARGUMENT = Set.of("--add-modules", "--upgrade-module-path",
            "--limit-modules", "--add-exports", "--add-opens", "--add-reads", "--patch-module",
            "--enable-native-access");
    private static final Set<String> CLASS_PATH = Set.of("-cp", "-classpath", "--class-path");
    private static final String SYNTAX = "the -javaagent options of tao-launcher.jar are launcher options without"
            + " their leading --, separated by ',': NAME=VALUE for " + String.join(", ", sorted(WITH_VALUE))
            + "; NAME alone for " + String.join(", ", sorted(FLAGS)) + " (see docs/launcher.md)";

    private JavaCommandLine() {}

    /**
     * The launcher's arguments for this JVM's command line.
     *
     * @param cmdline {@code /proc/self/cmdline}: the {@code java} executable, then its arguments
     * @param env this process's environment (the JVM's option variables, {@code CLASSPATH})
     * @param ownJar the launcher jar, to recognize its {@code -javaagent} option
     * @throws LauncherException for a command line the launcher cannot take, with one line saying why
     */
    static List<String> launcherArgs(List<String> cmdline, Map<String, String> env, Path ownJar) throws LauncherException {
        Parsed p = parse(cmdline, env, ownJar);
        List<String> out = new ArrayList<>(agentOptions(p.agentOptions()));
        for (String o : p.jvmOptions()) {
            out.add("--jvm-option=" + o);
        }
        String appJar;
        if (p.jar() != null) {
            appJar = p.jar();
        } else {
            String cp = p.classPath() != null ? p.classPath() : env.getOrDefault(CLASSPATH, ".");
            int colon = cp.indexOf(java.io.File.pathSeparatorChar);
            appJar = colon < 0 ? cp : cp.substring(0, colon);
            if (!isJarFile(appJar)) {
                throw new LauncherException("the class path's first element " + LauncherOptions.quote(appJar)
                        + " is not a jar file: under -javaagent:tao-launcher.jar, put the app's jar first on -cp");
            }
            out.add("--main");
            out.add(p.mainClass());
            if (colon >= 0) {
                out.add("--cp");
                out.add(cp.substring(colon + 1));
            }
        }
        out.add("--");
        out.add(appJar);
        out.addAll(p.appArgs());
        return out;
    }

    /**
     * Whether this command line starts the launcher itself ({@code -jar tao-launcher.jar} or its
     * main class), which hardens itself and scrubs its environment, so needs no re-execution.
     */
    static boolean startsTheLauncher(List<String> cmdline, Map<String, String> env, Path ownJar) throws LauncherException {
        Parsed p = parse(cmdline, env, ownJar);
        return p.jar() != null ? sameFile(p.jar(), ownJar) : Main.class.getName().equals(p.mainClass());
    }

    /** What the command line says, before mapping. Exactly one of {@code jar}, {@code mainClass} is set. */
    private record Parsed(List<String> jvmOptions, String agentOptions, String classPath, String jar, String mainClass,
            List<String> appArgs) {}

    private static Parsed parse(List<String> cmdline, Map<String, String> env, Path ownJar) throws LauncherException {
        if (cmdline.isEmpty()) {
            throw new LauncherException("cannot read this JVM's command line");
        }
        String program = cmdline.get(0).substring(cmdline.get(0).lastIndexOf('/') + 1);
        if (!program.equals("java")) {
            // javac, jar, keytool, jshell, or a native program that embeds a JVM: their arguments
            // are not a java command, and running them as one would run something else.
            throw new LauncherException("this JVM was started by " + LauncherOptions.quote(program) + ", not by java:"
                    + " -javaagent:tao-launcher.jar takes java command lines only (keep it out of JAVA_TOOL_OPTIONS"
                    + " for other JDK tools)");
        }
        List<String> options = new ArrayList<>();
        List<String> args = new ArrayList<>(options(env, JDK_OPTIONS));
        args.addAll(cmdline.subList(1, cmdline.size()));
        String classPath = null;
        String jar = null;
        String main = null;
        int i = 0;
        for (; i < args.size(); i++) {
            String a = args.get(i);
            String name = a.contains("=") && a.startsWith("--") ? a.substring(0, a.indexOf('=')) : a;
            if (a.equals("-jar")) {
                jar = value(args, ++i, a);
                i++;
                break;
            } else if (CLASS_PATH.contains(name)) {
                classPath = name.equals(a) ? value(args, ++i, a) : a.substring(name.length() + 1);
            } else if (name.equals("-m") || name.equals("--module") || name.equals("-p") || name.equals("--module-path")) {
                throw new LauncherException("modules are not supported under the launcher (" + name
                        + "): run the app from its class path");
            } else if (name.equals("--source")) {
                throw new LauncherException("source-file mode (--source) is not supported under the launcher: compile"
                        + " the program into a jar");
            } else if (TWO_ARGUMENT.contains(name)) {
                options.add(name.equals(a) ? a + "=" + value(args, ++i, a) : a);
            } else if (a.startsWith("-")) {
                options.add(a);
            } else {
                if (a.endsWith(".java")) {
                    throw new LauncherException("source-file mode (" + LauncherOptions.quote(a) + ") is not supported"
                            + " under the launcher: compile the program into a jar");
                }
                main = a;
                i++;
                break;
            }
        }
        if (jar == null && main == null) {
            throw new LauncherException("the java command names no main class and no -jar");
        }
        List<String> jvm = new ArrayList<>(options(env, TOOL_OPTIONS));
        jvm.addAll(options);
        jvm.addAll(options(env, LATE_OPTIONS));
        String agentOptions = null;
        int own = 0;
        List<String> rest = new ArrayList<>();
        for (String o : jvm) {
            if (isOwnAgent(o, ownJar)) {
                own++;
                int eq = o.indexOf('=');
                agentOptions = eq < 0 ? "" : o.substring(eq + 1);
            } else {
                rest.add(o);
            }
        }
        if (own != 1) {
            throw new LauncherException(own == 0
                    ? "this JVM's command line and option variables do not name -javaagent:" + ownJar
                            + " (the launcher as an agent must be given as -javaagent, on the command line or in "
                            + TOOL_OPTIONS + ")"
                    : "-javaagent:" + ownJar.getFileName() + " is given " + own + " times: give it once");
        }
        return new Parsed(List.copyOf(rest), agentOptions, classPath, jar, main, List.copyOf(args.subList(i, args.size())));
    }

    /** {@code -javaagent:PATH[=...]} where PATH is the launcher jar. */
    private static boolean isOwnAgent(String option, Path ownJar) {
        if (!option.startsWith("-javaagent:")) {
            return false;
        }
        String rest = option.substring("-javaagent:".length());
        int eq = rest.indexOf('=');
        return sameFile(eq < 0 ? rest : rest.substring(0, eq), ownJar);
    }

    private static boolean sameFile(String path, Path file) {
        try {
            return Files.isSameFile(Path.of(path), file);
        } catch (IOException | InvalidPathException e) {
            return false;
        }
    }

    private static boolean isJarFile(String path) {
        try {
            return !path.isEmpty() && !path.endsWith("*") && Files.isRegularFile(Path.of(path));
        } catch (InvalidPathException e) {
            return false;
        }
    }

    private static String value(List<String> args, int i, String option) throws LauncherException {
        if (i >= args.size()) {
            throw new LauncherException("the java option " + option + " needs a value");
        }
        return args.get(i);
    }

    /**
     * The launcher options in the agent's option string: {@code NAME=VALUE} or {@code NAME},
     * separated by {@code ,}; a value runs to the next {@code ,} (so it cannot contain one: a
     * rules file can hold anything). Everything is checked again by {@link LauncherOptions}.
     */
    static List<String> agentOptions(String text) throws LauncherException {
        List<String> out = new ArrayList<>();
        if (text.isEmpty()) {
            return out;
        }
        for (String part : text.split(",", -1)) {
            int eq = part.indexOf('=');
            String name = eq < 0 ? part : part.substring(0, eq);
            if (FROM_THE_COMMAND.contains(name)) {
                throw new LauncherException("the -javaagent option " + LauncherOptions.quote(name) + " is not taken: the"
                        + " java command line itself gives the class path, main class, JVM options and runtime");
            }
            if (eq < 0 && FLAGS.contains(name)) {
                out.add(name.equals("v") ? "-v" : "--" + name);
            } else if (eq > 0 && WITH_VALUE.contains(name)) {
                out.add("--" + name + "=" + part.substring(eq + 1));
            } else {
                throw new LauncherException((part.isEmpty() ? "an empty -javaagent option" : "the -javaagent option "
                        + LauncherOptions.quote(part) + " is not understood") + ": " + SYNTAX);
            }
        }
        return out;
    }

    /**
     * The options in the variable {@code name}, split as the JVM splits {@code JAVA_TOOL_OPTIONS}:
     * at white space, except inside single or double quotes, which are removed.
     */
    static List<String> options(Map<String, String> env, String name) throws LauncherException {
        String text = env.get(name);
        List<String> out = new ArrayList<>();
        if (text == null) {
            return out;
        }
        StringBuilder token = new StringBuilder();
        boolean inToken = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\'' || c == '"') {
                int end = text.indexOf(c, i + 1);
                if (end < 0) {
                    throw new LauncherException(name + " has an unmatched quote");
                }
                token.append(text, i + 1, end);
                inToken = true;
                i = end;
            } else if (Character.isWhitespace(c)) {
                if (inToken) {
                    out.add(token.toString());
                    token.setLength(0);
                    inToken = false;
                }
            } else {
                token.append(c);
                inToken = true;
            }
        }
        if (inToken) {
            out.add(token.toString());
        }
        return out;
    }

    private static List<String> sorted(Set<String> s) {
        return s.stream().sorted().toList();
    }

    /** Splits {@code /proc/self/cmdline}'s bytes at NUL (each argument ends with one). */
    static List<String> splitCmdline(byte[] raw) {
        // The JVM decodes its arguments with sun.jnu.encoding; so do we.
        String enc = System.getProperty("sun.jnu.encoding", "");
        java.nio.charset.Charset cs = java.nio.charset.Charset.isSupported(enc) ? java.nio.charset.Charset.forName(enc)
                : java.nio.charset.Charset.defaultCharset();
        String all = new String(raw, cs);
        List<String> out = new ArrayList<>(List.of(all.split(Pattern.quote("\0"), -1)));
        if (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
            out.remove(out.size() - 1);
        }
        return out;
    }
}
