/**
 * tao-launcher.jar: measures a JVM app and runs it as a hosted program with the agent.
 *
 * <p>Built by the launcher and agent issue.
 */
package dev.cloudproxy.tao.launcher;
