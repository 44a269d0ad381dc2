package dev.cloudproxy.tao.launcher;

import dev.cloudproxy.tao.host.ProgramRunner;
import java.nio.file.Path;
import java.util.Map;

/**
 * The launcher's directories under {@code $TAO_HOME} (default {@code ~/.tao}):
 * <pre>
 * launcher/root/            the development root's key set (keys.tao, signer.pub.pem)
 * launcher/root.password    its random password, when TAO_PASSWORD was not set at creation
 * launcher/agent/           the agent jars the launcher gives apps, by content hash
 * launcher/state/NAME.sealed  each app's @TaoSealed state
 * launcher/run/ID/          one private directory per running app (removed when it exits)
 * launcher/runtime-digests  per-file digests of Java runtimes the user cannot change (not as root)
 * host/admin.sock           where a Tao host on this machine would listen (see HostLocator)
 * </pre>
 *
 * <p>A launcher run by a root host (stacked mode) runs under the user id of its program name,
 * which may not write the caller's {@code TAO_HOME}: its host gives it a state directory of its
 * own, {@code TAO_STATE_DIR} (docs/host.md), and that directory is its Tao home. Not when the
 * host could give it only as a descriptor ({@code /proc/self/fd/N}), which the app's process
 * could not use.
 */
record TaoHome(Path dir) {
    static final String ENV = "TAO_HOME";

    static TaoHome from(Map<String, String> env) {
        java.util.Optional<Path> state = ProgramRunner.stateDirectoryByPath(env);
        if (state.isPresent()) {
            return new TaoHome(state.get());
        }
        String home = env.get(ENV);
        if (home != null && !home.isEmpty()) {
            return new TaoHome(Path.of(home).toAbsolutePath());
        }
        return new TaoHome(Path.of(System.getProperty("user.home"), ".tao").toAbsolutePath());
    }

    Path launcher() {
        return dir.resolve("launcher");
    }

    Path rootKeys() {
        return launcher().resolve("root");
    }

    Path rootPassword() {
        return launcher().resolve("root.password");
    }

    Path agents() {
        return launcher().resolve("agent");
    }

    Path state() {
        return launcher().resolve("state");
    }

    Path runs() {
        return launcher().resolve("run");
    }

    /**
     * The persistent runtime digest cache (see {@code JvmProgram.Builder.runtimeDigestCache}):
     * only for runtime files this user cannot change, never used by root.
     */
    Path runtimeDigests() {
        return launcher().resolve("runtime-digests");
    }

    Path defaultHostAdminSocket() {
        return dir.resolve("host").resolve("admin.sock");
    }
}
