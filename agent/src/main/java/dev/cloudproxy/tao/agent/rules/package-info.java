/**
 * Channel rules: which TCP connections the agent carries over Tao channels ({@code TAO}), leaves
 * alone ({@code PLAIN}) or refuses ({@code DENY}). JDK only; the launcher parses them to check them
 * before it measures anything, the agent parses the same text again from its (measured) options.
 */
package dev.cloudproxy.tao.agent.rules;
