package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.guard.Guard;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

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

    /**
     * These principals and their extensions (subprincipals): a peer is accepted if its name equals
     * one of them or extends one ({@link Prin#isIdenticalOrExtensionOf}). Naming a program's
     * {@code key([..]).Jvm([..])} thus accepts it also after the Tao paradigm has extended its name
     * with {@code PolicyKey([..])}, and no other program: an extension is made only by the
     * principal it extends.
     */
    static PeerPolicy subprincipalsOf(Collection<Prin> names) {
        List<Prin> copy = List.copyOf(names);
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("no principal names: use anyPeer() to accept every peer");
        }
        return new PeerPolicy() {
            @Override
            public boolean accepts(Prin peer) {
                return copy.stream().anyMatch(peer::isIdenticalOrExtensionOf);
            }

            @Override
            public String toString() {
                return copy.stream().map(Prin::toString)
                        .collect(Collectors.joining(" or ", "the names ", " and their extensions"));
            }
        };
    }

    /** Peers that every one of {@code policies} accepts. */
    static PeerPolicy allOf(Collection<PeerPolicy> policies) {
        List<PeerPolicy> copy = List.copyOf(policies);
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("no policies: use anyPeer() to accept every peer");
        }
        if (copy.size() == 1) {
            return copy.get(0);
        }
        return new PeerPolicy() {
            @Override
            public boolean accepts(Prin peer) {
                return copy.stream().allMatch(p -> p.accepts(peer));
            }

            @Override
            public String toString() {
                return copy.stream().map(Object::toString).collect(Collectors.joining("; and ", "all of: ", ""));
            }
        };
    }
}
