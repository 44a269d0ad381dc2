/**
 * Tao channels: mutually authenticated TLS 1.3 between programs, where each side learns the other's
 * principal name.
 *
 * <p>Certificate mode ({@link dev.cloudproxy.tao.channel.ProgramCredentials},
 * {@link dev.cloudproxy.tao.channel.TaoChannels}): peers present program certificates issued by
 * their domain's policy key, and trust only that policy certificate; an {@code SSLContext} for any
 * JSSE-based stack, plus {@link dev.cloudproxy.tao.channel.TaoChannel} and
 * {@link dev.cloudproxy.tao.channel.TaoListener}. Certificate-free mode
 * ({@link dev.cloudproxy.tao.channel.AttestedCredentials},
 * {@link dev.cloudproxy.tao.channel.AttestedChannels}): peers exchange Tao attestations for their
 * TLS keys. PSK mode ({@link dev.cloudproxy.tao.channel.PskChannels}): two programs with a
 * common ancestor Tao authenticate with the key it derives for the pair
 * ({@link dev.cloudproxy.tao.channel.GroupKeySource}), in TLS 1.3 with an external PSK and (EC)DHE.
 * Which peers are accepted is a {@link dev.cloudproxy.tao.channel.PeerPolicy}, such as a
 * guard. See {@code docs/channels.md}.
 */
package dev.cloudproxy.tao.channel;
