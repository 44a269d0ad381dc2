package dev.cloudproxy.tao.host.unix;

/**
 * Who is at the other end of a Unix domain socket, as the kernel recorded it when that process
 * connected ({@code SO_PEERCRED}): its process id, user id and group id. The peer cannot choose
 * these values.
 */
public record PeerCredentials(long pid, long uid, long gid) {}
