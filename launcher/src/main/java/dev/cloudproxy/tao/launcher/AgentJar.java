package dev.cloudproxy.tao.launcher;

import dev.cloudproxy.tao.io.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The agent jar, which travels inside the launcher jar as a resource: written once per content to
 * {@code $TAO_HOME/launcher/agent/tao-agent-HASH.jar} and used from there. It is measured like any
 * other jar every time an app starts, so what runs is what the app's name says.
 */
final class AgentJar {
    static final String RESOURCE = "tao-agent.jar";
    static final int MAX_BYTES = 256 << 20;

    private AgentJar() {}

    static Path install(TaoHome home) throws LauncherException {
        // From the launcher jar, the entry's size and CRC name the cached copy without reading its
        // 10+ MB. (Not a security check: whatever file is used is measured by content.)
        try {
            java.net.URL url = AgentJar.class.getResource(RESOURCE);
            if (url != null && url.openConnection() instanceof java.net.JarURLConnection jc) {
                jc.setUseCaches(false);
                java.util.jar.JarEntry e = jc.getJarEntry();
                if (e != null && e.getSize() >= 0 && e.getCrc() >= 0) {
                    Path cached = home.agents().resolve(String.format("tao-agent-%08x-%d.jar", e.getCrc(), e.getSize()));
                    if (Files.isRegularFile(cached, LinkOption.NOFOLLOW_LINKS) && Files.size(cached) == e.getSize()) {
                        return cached;
                    }
                    return write(home, cached);
                }
            }
        } catch (IOException e) {
            throw new LauncherException("cannot read the agent from the launcher jar: " + e.getMessage(), e);
        }
        return write(home, null);
    }

    private static Path write(TaoHome home, Path named) throws LauncherException {
        byte[] jar;
        try (InputStream in = AgentJar.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new LauncherException("this launcher has no " + RESOURCE + " inside (a broken build?)");
            }
            jar = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            throw new LauncherException("cannot read the agent from the launcher jar: " + e.getMessage(), e);
        }
        if (jar.length > MAX_BYTES) {
            throw new LauncherException("the agent inside the launcher is too large");
        }
        String hash;
        try {
            hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(jar), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path target = named != null ? named : home.agents().resolve("tao-agent-" + hash + ".jar");
        try {
            if (named != null || !Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) || Files.size(target) != jar.length) {
                AtomicFiles.createPrivateDirectories(home.agents());
                AtomicFiles.writeOwnerOnly(target, jar);
            }
        } catch (IOException e) {
            throw new LauncherException("cannot write the agent jar to " + target + ": " + e.getMessage(), e);
        }
        return target;
    }
}
