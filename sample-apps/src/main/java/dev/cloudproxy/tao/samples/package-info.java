/**
 * SimpleExample (domain service, server, client) and apps with no Tao code at all.
 *
 * <p>Built by the channels issue.
 */
package dev.cloudproxy.tao.samples;
