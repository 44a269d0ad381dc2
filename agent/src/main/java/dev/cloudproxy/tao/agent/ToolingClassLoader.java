package dev.cloudproxy.tao.agent;

import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.security.cert.Certificate;
import java.util.Collections;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Loads tier 3 (the tooling and its libraries) from the tooling jar that the agent jar carries
 * (premain copies it into the run's private directory).
 *
 * <p>Its parent is the platform class loader, so the tooling sees the JDK and the bootstrap hooks
 * but never the application's classes, and the application never sees the tooling's Byte Buddy,
 * JNA or protobuf: the two can use different versions of the same library. The one exception is
 * {@link TaoBridge} (with its nested types), which tier 3 implements and tier 1 calls: it comes
 * from tier 1's loader, so that both tiers mean the same interface.
 */
final class ToolingClassLoader extends ClassLoader {
    static {
        registerAsParallelCapable();
    }

    private static final String BRIDGE = TaoBridge.class.getName();

    private final JarFile jar;
    private final String jarUrl;
    private final ProtectionDomain domain;

    ToolingClassLoader(JarFile jar, Path jarPath) throws MalformedURLException {
        super("tao-agent-tooling", ClassLoader.getPlatformClassLoader());
        this.jar = jar;
        URL location = jarPath.toUri().toURL();
        this.jarUrl = "jar:" + location + "!/";
        this.domain = new ProtectionDomain(new CodeSource(location, (Certificate[]) null), null, this, null);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (name.equals(BRIDGE) || name.startsWith(BRIDGE + "$")) {
            return TaoBridge.class.getClassLoader().loadClass(name);
        }
        return super.loadClass(name, resolve);
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        JarEntry entry = jar.getJarEntry(name.replace('.', '/') + ".class");
        if (entry == null) {
            throw new ClassNotFoundException(name);
        }
        byte[] bytes;
        try (InputStream in = jar.getInputStream(entry)) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new ClassNotFoundException(name, e);
        }
        int dot = name.lastIndexOf('.');
        if (dot > 0) {
            String pkg = name.substring(0, dot);
            if (getDefinedPackage(pkg) == null) {
                try {
                    definePackage(pkg, null, null, null, null, null, null, null);
                } catch (IllegalArgumentException concurrentlyDefined) {
                    // another thread defined it first: fine
                }
            }
        }
        return defineClass(name, bytes, 0, bytes.length, domain);
    }

    @Override
    protected URL findResource(String name) {
        String entryName = name.startsWith("/") ? name.substring(1) : name;
        if (jar.getJarEntry(entryName) == null) {
            return null;
        }
        try {
            return new URL(jarUrl + entryName);
        } catch (MalformedURLException e) {
            return null;
        }
    }

    @Override
    protected Enumeration<URL> findResources(String name) {
        URL url = findResource(name);
        return url == null ? Collections.emptyEnumeration() : Collections.enumeration(Collections.singletonList(url));
    }
}
