/**
 * Tao channels: mutually authenticated TLS between programs whose peers learn each other's principal names.
 *
 * <p>Built by the channels issue.
 */
package dev.cloudproxy.tao.channel;
