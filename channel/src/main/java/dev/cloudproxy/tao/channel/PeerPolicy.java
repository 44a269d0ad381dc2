package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.guard.Guard;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Decides which authenticated peers a channel accepts, by their principal names. It runs after
 * the peer's identity was verified (its certificate chains to the policy certificate, or its
 * attestation chains to a trusted root), so it only ever sees verified names.
 *
 * <p>A refusal ends the handshake: the refusing side's exception says which peer was refused and
 * by which policy ({@link #toString}). Implementations must be thread-safe and fast; they run on
 * every handshake.
 */
@FunctionalInterface
public interface PeerPolicy {

    /** Whether a peer with this verified principal name may use the channel. */
    boolean accepts(Prin peer);

    /**
     * Every peer the domain certified (certificate mode) or every peer under a trusted root
     * (certificate-free mode): the domain service asked the guard before it issued anything.
     */
    static PeerPolicy anyPeer() {
        return new PeerPolicy() {
            @Override
            public boolean accepts(Prin peer) {
                return true;
            }

            @Override
            public String toString() {
                return "any peer";
            }
        };
    }

    /**
     * Peers for which the guard holds {@code Authorized(peer, "op", args...)}, asked on every
     * handshake (so a changed policy applies to the next connection).
     */
    static PeerPolicy guard(Guard guard, String op, String... args) {
        Objects.requireNonNull(guard, "guard");
        Objects.requireNonNull(op, "op");
        List<String> argList = List.of(args);
        return new PeerPolicy() {
            @Override
            public boolean accepts(Prin peer) {
                return guard.isAuthorized(peer, op, argList);
            }

            @Override
            public String toString() {
                StringBuilder sb = new StringBuilder("the guard: Authorized(peer, \"").append(op).append('"');
                argList.forEach(a -> sb.append(", \"").append(a).append('"'));
                return sb.append(')').toString();
            }
        };
    }

    /** Exactly these principals (equal names; extensions of them are not accepted). */
    static PeerPolicy only(Set<Prin> peers) {
        Set<Prin> copy = Set.copyOf(peers);
        return new PeerPolicy() {
            @Override
            public boolean accepts(Prin peer) {
                return copy.contains(peer);
            }

            @Override
            public String toString() {
                return "the " + copy.size() + " accepted principal(s)";
            }
        };
    }
}
