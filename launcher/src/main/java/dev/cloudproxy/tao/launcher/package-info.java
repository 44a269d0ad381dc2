/**
 * tao-launcher.jar (docs/launcher.md): {@code java -jar tao-launcher.jar [options] app.jar [args]}
 * measures the app, starts it in a hardened child JVM with the Tao agent, and serves the child's
 * Tao as its host: a root host on a development soft key, or (later) a host stacked on a running
 * Linux host.
 */
package dev.cloudproxy.tao.launcher;
