/**
 * Tier 2: the hooks that instrumented JDK code and applications call into, on the bootstrap class
 * path so that every class loader (and {@code java.base} itself) resolves the same classes. JDK
 * only, no logging. Each hook forwards to a handler the tooling installs once; before that a hook
 * lets the call through, which is safe because the handlers are installed in premain, before any
 * application code runs.
 */
package dev.cloudproxy.tao.agent.bootstrap;
