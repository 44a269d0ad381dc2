/**
 * The -javaagent that the launcher gives every app it runs (docs/agent.md).
 *
 * <p>Three tiers, as in the OpenTelemetry Java agent: this package is tier 1, the premain class and
 * the class loader for tier 3, both JDK only; {@link dev.cloudproxy.tao.agent.bootstrap} is tier 2,
 * the hooks that advice inside {@code java.base} calls, on the bootstrap class path;
 * {@link dev.cloudproxy.tao.agent.tooling} is tier 3, the agent proper, in an isolated class
 * loader. Apps compile against {@code tao-api} ({@code dev.cloudproxy.tao}) only, which premain
 * puts behind the app's class path and binds ({@code ApiBinding}) to tier 3 through
 * {@link dev.cloudproxy.tao.agent.TaoBridge}.
 */
package dev.cloudproxy.tao.agent;
