package dev.cloudproxy.tao.seal;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.GroupKeyRefusedException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinTail;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.keys.Deriver;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * Group keys ({@link CoreTao#getGroupKey}): the checks every Tao makes before it answers, and the
 * derivation, so that every Tao kind gives the same key for the same group from the same deriving
 * key.
 *
 * <p>Derivation: HKDF-SHA256 with the answering Tao's deriving key, salt
 * {@code "Tao Group Key V1"} and info
 * <pre>
 *   n (4 bytes, big-endian) || length of P (4 bytes) || P || SHA-256(S_1 || ... || S_k)
 * </pre>
 * where {@code P} is the binary encoding of the answering Tao's name (the common prefix of every
 * member) and {@code S_i} is {@code length (4 bytes) || the binary PrinTail of member i's
 * extensions beyond P} (empty for a member whose name is {@code P} itself), sorted by their
 * unsigned byte order. The prefix and the sorted suffixes name every member exactly, so the
 * order of the list does not matter and any other set of names gives unrelated input; the salt
 * separates group keys from every other secret the same deriving key gives (shared secrets use
 * another salt), and binding {@code n} makes keys of different lengths unrelated, as for shared
 * secrets.
 */
public final class GroupKeys {
    private static final byte[] SALT = "Tao Group Key V1".getBytes(StandardCharsets.US_ASCII);

    private GroupKeys() {}

    /**
     * The members as an unmodifiable list, after checking the request's shape (misuse, not a
     * refusal: the caller can fix it).
     *
     * @throws IllegalArgumentException if {@code n} is not 1..{@link CoreTao#MAX_GROUP_KEY_BYTES},
     *     or the list is empty, longer than {@link CoreTao#MAX_GROUP_MEMBERS}, names a principal
     *     twice or holds a name longer than {@link CoreTao#MAX_GROUP_MEMBER_NAME_BYTES} encoded
     */
    public static List<Prin> checkRequest(List<Prin> members, int n) {
        Objects.requireNonNull(members, "members");
        if (n < 1 || n > CoreTao.MAX_GROUP_KEY_BYTES) {
            throw new IllegalArgumentException("group key length must be 1.." + CoreTao.MAX_GROUP_KEY_BYTES);
        }
        if (members.isEmpty() || members.size() > CoreTao.MAX_GROUP_MEMBERS) {
            throw new IllegalArgumentException("a group has 1.." + CoreTao.MAX_GROUP_MEMBERS + " members");
        }
        List<Prin> copy = List.copyOf(members); // also refuses null members
        if (new HashSet<>(copy).size() != copy.size()) {
            throw new IllegalArgumentException("a group names each member once");
        }
        for (Prin m : copy) {
            checkName(m);
        }
        return copy;
    }

    /**
     * Refuses a name whose encoding is longer than {@link CoreTao#MAX_GROUP_MEMBER_NAME_BYTES}.
     *
     * @throws IllegalArgumentException if it is
     */
    public static void checkName(Prin name) {
        if (name.encode().length > CoreTao.MAX_GROUP_MEMBER_NAME_BYTES) {
            throw new IllegalArgumentException("a group member's name is at most "
                    + CoreTao.MAX_GROUP_MEMBER_NAME_BYTES + " bytes encoded");
        }
    }

    /**
     * Checks who asks: {@code asker} must be the caller itself or one of its descendants (a host
     * speaks only for the programs below it, never for a sibling), and one of the members.
     *
     * @throws GroupKeyRefusedException if either fails
     */
    public static void checkAsker(Prin caller, Prin asker, List<Prin> members) throws GroupKeyRefusedException {
        Objects.requireNonNull(asker, "asker");
        if (!asker.isIdenticalOrExtensionOf(caller)) {
            throw new GroupKeyRefusedException("a program may ask for a group key only for itself or a program below it");
        }
        if (!members.contains(asker)) {
            throw new GroupKeyRefusedException("the program that asks for a group key must be one of its members");
        }
    }

    /**
     * Whether a host named {@code host} is an ancestor of every member: each member's name is
     * the host's name with at least one more extension. A member that is the host itself does not
     * count, because the host's own calls go to its parent, which must give that group the same
     * key.
     */
    public static boolean hostIsAncestorOfAll(Prin host, List<Prin> members) {
        return members.stream().allMatch(m -> m.isExtensionOf(host));
    }

    /**
     * The answer of a root Tao (soft, TPM) named {@code root} whose caller is {@code caller}:
     * after the checks of {@link #checkRequest} and {@link #checkAsker}, the key if every member
     * is {@code root} or below it. A root Tao has nobody above it to ask, and its own caller may be
     * a member under the bare root name.
     *
     * @throws GroupKeyRefusedException if the asker is refused or a member is outside this Tao
     */
    public static byte[] answerAsRoot(Deriver deriver, Prin root, Prin caller, Prin asker, List<Prin> members, int n)
            throws GroupKeyRefusedException {
        List<Prin> group = checkRequest(members, n);
        checkAsker(caller, asker, group);
        if (!group.stream().allMatch(m -> m.isIdenticalOrExtensionOf(root))) {
            throw notAnAncestor();
        }
        return derive(deriver, root, group, n);
    }

    /** The refusal of a Tao that is not an ancestor of every member and has nobody above to ask. */
    public static GroupKeyRefusedException notAnAncestor() {
        return new GroupKeyRefusedException(
                "no Tao on the way up from the caller is an ancestor of every member of the group");
    }

    /**
     * The key for {@code members} (each {@code ancestor} or an extension of it) from the deriving
     * key of the Tao named {@code ancestor}, as the class comment describes.
     *
     * @throws IllegalArgumentException if a member does not extend {@code ancestor}
     */
    public static byte[] derive(Deriver deriver, Prin ancestor, List<Prin> members, int n) {
        List<byte[]> suffixes = new ArrayList<>(members.size());
        for (Prin m : members) {
            SubPrin beyond = m.extensionsBeyond(ancestor);
            suffixes.add(beyond.isEmpty() ? new byte[0] : new PrinTail(beyond).encode());
        }
        suffixes.sort(Arrays::compareUnsigned);
        MessageDigest sha256 = sha256();
        for (byte[] s : suffixes) {
            sha256.update(ByteBuffer.allocate(4).putInt(s.length).array());
            sha256.update(s);
        }
        byte[] prefix = ancestor.encode();
        byte[] digest = sha256.digest();
        ByteBuffer info = ByteBuffer.allocate(4 + 4 + prefix.length + digest.length);
        info.putInt(n).putInt(prefix.length).put(prefix).put(digest);
        return deriver.derive(SALT, info.array(), n);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
