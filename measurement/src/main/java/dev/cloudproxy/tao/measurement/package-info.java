/**
 * Deterministic measurement of JVM programs: runtime, jars, classpath, main class, options, agent.
 *
 * <p>Built by the launcher issue.
 */
package dev.cloudproxy.tao.measurement;
