package dev.cloudproxy.tao.agent;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Tier 1: the premain class. It only makes the isolated class loader for the tooling and hands
 * over to it; the tooling hardens the process, connects to the parent Tao and installs the hooks
 * before {@code main} runs. Premain then wires the tooling's {@code @TaoSealed} callbacks into
 * {@link SealedHooks}, which application classes call, and provides and binds the Tao API
 * ({@link ApiBinding}).
 *
 * <p>Fails closed: anything that goes wrong ends the JVM with {@link #REFUSED_STATUS} and one line
 * on standard error, before any application code has run. An agent that let the app start
 * without its protections would be worse than none.
 */
public final class TaoAgent {
    /** The exit status of a JVM the agent refused to let start. */
    public static final int REFUSED_STATUS = 125;
    /** Environment variable naming the private (0700) directory the agent may write to. */
    public static final String WORK_DIR_ENV = "TAO_AGENT_DIR";

    static final String BOOTSTRAP_JAR = "tao-agent-bootstrap.jar";
    static final String TOOLING_JAR = "tao-agent-tooling.jar";
    static final String API_JAR = "tao-api.jar";
    private static final String INSTALLER = "dev.cloudproxy.tao.agent.tooling.AgentInstaller";
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");

    private TaoAgent() {}

    public static void premain(String options, Instrumentation inst) {
        try {
            Path agentJar = ownJar();
            Path workDir = workDirectory();
            JarFile jar = new JarFile(agentJar.toFile());
            Path toolingJar = extract(jar, TOOLING_JAR, workDir);
            // held open for the life of the JVM
            ClassLoader tooling = new ToolingClassLoader(new JarFile(toolingJar.toFile()), toolingJar);
            Class<?> installer = Class.forName(INSTALLER, true, tooling);
            // The tooling appends tier 2 to the bootstrap class path itself, when it needs it.
            Runnable appendBootstrap = () -> {
                try {
                    inst.appendToBootstrapClassLoaderSearch(new JarFile(extract(jar, BOOTSTRAP_JAR, workDir).toFile()));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
            Map<String, Object> hooks = cast(installer
                    .getMethod("install", String.class, Instrumentation.class, Path.class, Runnable.class)
                    .invoke(null, options, inst, workDir, appendBootstrap));
            SealedHooks.install(cast(hooks.get("restore")), cast(hooks.get("flush")));
            // The Tao API, behind the app's own class path (so an app's bundled copy wins), bound
            // to tier 3 before any application class runs.
            inst.appendToSystemClassLoaderSearch(new JarFile(extract(jar, API_JAR, workDir).toFile()));
            ApiBinding.bind((TaoBridge) hooks.get("tao"));
        } catch (InvocationTargetException e) {
            refuse(e.getCause() == null ? e : e.getCause());
        } catch (Throwable t) {
            refuse(t);
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object o) {
        return (T) o;
    }

    /** Ends the JVM before the app runs: {@code halt}, so no application shutdown hook runs either. */
    private static void refuse(Throwable t) {
        String why = t.getMessage() == null ? t.getClass().getName() : t.getMessage();
        System.err.println("tao-agent: refusing to start the program: " + why.replaceAll("[\\r\\n]+", " "));
        System.err.flush();
        Runtime.getRuntime().halt(REFUSED_STATUS);
    }

    private static Path ownJar() throws URISyntaxException {
        return Path.of(TaoAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /**
     * The launcher's private directory for this JVM, or a fresh private temporary one (removed at
     * exit) when the agent runs without the launcher.
     */
    private static Path workDirectory() throws IOException {
        String dir = System.getenv(WORK_DIR_ENV);
        if (dir == null || dir.isEmpty()) {
            Path tmp = Files.createTempDirectory("tao-agent", PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
            tmp.toFile().deleteOnExit();
            return tmp;
        }
        Path p = Path.of(dir);
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
                || !Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).equals(OWNER_ONLY_DIR)) {
            throw new IOException(WORK_DIR_ENV + " must name a directory with mode rwx------: " + dir);
        }
        return p;
    }

    /** Copies a nested jar out of the agent jar into {@code dir} (readable by the owner only). */
    static Path extract(JarFile jar, String name, Path dir) throws IOException {
        JarEntry entry = jar.getJarEntry(name);
        if (entry == null) {
            throw new IOException("the agent jar has no " + name + " (a broken build?)");
        }
        Path target = dir.resolve(name);
        Path tmp = Files.createTempFile(dir, "." + name, ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (InputStream in = jar.getInputStream(entry)) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        if (dir.getFileName() != null && dir.getFileName().toString().startsWith("tao-agent")) {
            target.toFile().deleteOnExit();
        }
        return target;
    }
}
