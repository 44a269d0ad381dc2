/**
 * Deterministic measurement of JVM programs: runtime, jars, classpath, main class, options,
 * agent. {@link dev.cloudproxy.tao.measurement.JvmProgram} is the entry point; the format is in
 * {@code docs/measurement.md}.
 */
package dev.cloudproxy.tao.measurement;
