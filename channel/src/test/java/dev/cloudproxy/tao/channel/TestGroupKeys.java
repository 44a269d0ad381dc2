package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.auth.AuthBinary;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A stand-in for a common ancestor Tao's {@code getGroupKey}: a host name and a deriving key; the
 * key of a group is an HMAC of its sorted members under the deriving key, given only to a member
 * and only if every member is a program of this host (as issue 22 specifies the real call).
 */
final class TestGroupKeys {
    private final Prin host;
    private final byte[] derivingKey = new byte[32];
    private int programs;

    TestGroupKeys() {
        byte[] hash = new byte[32];
        SecureRandom random = new SecureRandom();
        random.nextBytes(hash);
        random.nextBytes(derivingKey);
        host = Prin.key(hash);
    }

    /** A new program of this host: {@code key([..]).Program([n])}. */
    Prin program() {
        byte[] hash = new byte[32];
        hash[31] = (byte) ++programs;
        return host.extend(PrinExt.of("Program", new Bytes(hash)));
    }

    /** What {@code caller} gets from this host's {@code getGroupKey(members, 32)}. */
    GroupKeySource sourceFor(Prin caller) {
        return GroupKeySource.of((members, n) -> groupKey(caller, members, n));
    }

    byte[] groupKey(Prin caller, List<Prin> members, int n) throws GeneralSecurityException {
        if (!members.contains(caller)) {
            throw new TaoException("the caller is not a member of the group");
        }
        if (!members.stream().allMatch(m -> m.isExtensionOf(host))) {
            throw new TaoException("this Tao is not an ancestor of every member");
        }
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(derivingKey, "HmacSHA256"));
        members.stream().map(AuthBinary::encode).sorted(Arrays::compareUnsigned)
                .forEach(b -> { mac.update(ByteBuffer.allocate(4).putInt(b.length).array()); mac.update(b); });
        return Arrays.copyOf(mac.doFinal(), n);
    }

}
