package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.auth.Prin;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Objects;

/**
 * Where a {@link PskChannels} gets the key it shares with one peer: the symmetric key that the two
 * programs' common ancestor Tao derives for exactly these two members (the Tao's
 * {@code getGroupKey(members, 32)}, issue 22). The Tao gives that key only to a caller that is one
 * of the members and only if it is an ancestor of both, so holding it proves being one of the two
 * (or an ancestor of both, which can impersonate its descendants anyway).
 *
 * <p>Contract: the same two members give the same {@value #KEY_BYTES}-byte key whatever their
 * order (the channel asks with them in one canonical order anyway), any other pair gives an
 * unrelated key, and the key never appears in a message or log. A source that cannot give the key
 * throws; the channel then refuses the peer. Implementations must be thread-safe: a listener asks
 * once per accepted connection. The caller zeroes the returned array after use, so return a fresh
 * copy each time.
 */
@FunctionalInterface
public interface GroupKeySource {
    /** Length of the key a source returns. */
    int KEY_BYTES = 32;

    /**
     * The key of the group of exactly {@code members} (two principals, this program's full name
     * and the peer's).
     *
     * @throws GeneralSecurityException if the Tao refuses (this program is not a member, or the Tao
     *     is not an ancestor of every member), as {@code TaoException} does
     * @throws IOException if the Tao cannot be reached
     */
    byte[] groupKey(List<Prin> members) throws IOException, GeneralSecurityException;

    /** A Tao's {@code getGroupKey(members, n)}, as a method reference ({@code tao::getGroupKey}). */
    @FunctionalInterface
    interface GroupKeyCall {
        byte[] getGroupKey(List<Prin> members, int n) throws IOException, GeneralSecurityException;
    }

    /**
     * The source over a Tao's group-key call, asking for {@value #KEY_BYTES} bytes:
     * {@code GroupKeySource.of(tao::getGroupKey)}.
     */
    static GroupKeySource of(GroupKeyCall tao) {
        Objects.requireNonNull(tao, "tao");
        return members -> tao.getGroupKey(members, KEY_BYTES);
    }
}
