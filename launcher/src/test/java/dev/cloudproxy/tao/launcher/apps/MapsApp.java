package dev.cloudproxy.tao.launcher.apps;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;

/**
 * Prints what a preloaded library would leave in the app's process: whether its own memory map
 * names the path given as argument, and the dynamic linker's variables in its environment.
 */
public final class MapsApp {
    private MapsApp() {}

    public static void main(String[] args) throws Exception {
        String maps = Files.readString(Path.of("/proc/self/maps"));
        System.out.println("mapped " + maps.contains(args[0]));
        System.out.println("ld-vars " + new TreeSet<>(System.getenv().keySet()).stream()
                .filter(n -> n.startsWith("LD_") || n.equals("GCONV_PATH") || n.equals("GLIBC_TUNABLES")).toList());
    }
}
