/**
 * Tier 3: the agent proper, loaded with its libraries (core, Byte Buddy, JNA, protobuf,
 * BouncyCastle) by an isolated class loader from the agent jar's {@code inst/} directory.
 * {@link dev.cloudproxy.tao.agent.tooling.AgentInstaller} is the one entry point.
 */
package dev.cloudproxy.tao.agent.tooling;
