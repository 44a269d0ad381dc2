/**
 * The -javaagent: the Tao parent handle, transparent Tao channels and @TaoSealed fields.
 *
 * <p>Built by the launcher and agent issue.
 */
package dev.cloudproxy.tao.agent;
