package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.auth.AuthBinary;
import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.Prin;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The PSK identity of a PSK channel: who dials ({@code client}) and whom ({@code server}), both
 * full principal names. It travels in the clear in the TLS ClientHello, and the PSK binder (a MAC
 * under the key) authenticates it, so a server that completes the handshake knows the client holds
 * the key of exactly this pair in exactly these roles.
 *
 * <p>Format (version 1): the five bytes {@code 'T' 'P' 'S' 'K' 1}, then for the client and then
 * the server a 2-byte big-endian length and the principal in the auth binary form. At most
 * {@value #MAX_BYTES} bytes in all; anything else (another prefix, a length past the end, bytes
 * left over, a name that does not decode) is refused.
 *
 * @param client the dialing program's full name
 * @param server the listening program's full name
 */
record PskIdentity(Prin client, Prin server) {
    /** Largest identity accepted or made: room for two names of a deep stack. */
    static final int MAX_BYTES = 8192;
    private static final byte[] PREFIX = {'T', 'P', 'S', 'K', 1};

    PskIdentity {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(server, "server");
    }

    /**
     * The encoded identity.
     *
     * @throws IllegalArgumentException if the two names make more than {@value #MAX_BYTES} bytes
     */
    byte[] encode() {
        byte[] c = AuthBinary.encode(client);
        byte[] s = AuthBinary.encode(server);
        int n = PREFIX.length + 2 + c.length + 2 + s.length;
        if (n > MAX_BYTES) {
            throw new IllegalArgumentException("the two principal names make a PSK identity of " + n
                    + " bytes, over the bound of " + MAX_BYTES);
        }
        return ByteBuffer.allocate(n).put(PREFIX).putShort((short) c.length).put(c).putShort((short) s.length).put(s)
                .array();
    }

    /**
     * Reads an identity a client sent.
     *
     * @throws PeerRefusedException if it is not one (the message says why, quoting nothing of it)
     */
    static PskIdentity decode(byte[] bytes) throws PeerRefusedException {
        if (bytes.length > MAX_BYTES) {
            throw malformed(bytes.length + " bytes, over the bound of " + MAX_BYTES);
        }
        if (bytes.length < PREFIX.length || !Arrays.equals(bytes, 0, PREFIX.length, PREFIX, 0, PREFIX.length)) {
            throw malformed("not a Tao PSK identity of version 1");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes, PREFIX.length, bytes.length - PREFIX.length);
        Prin client = name(in, "client");
        Prin server = name(in, "server");
        if (in.hasRemaining()) {
            throw malformed(in.remaining() + " bytes after the server's name");
        }
        return new PskIdentity(client, server);
    }

    /** The two names in one canonical order (by their binary form), as both sides ask for the key. */
    List<Prin> members() {
        byte[] c = AuthBinary.encode(client);
        byte[] s = AuthBinary.encode(server);
        return Arrays.compareUnsigned(c, s) <= 0 ? List.of(client, server) : List.of(server, client);
    }

    private static Prin name(ByteBuffer in, String which) throws PeerRefusedException {
        if (in.remaining() < 2) {
            throw malformed("it ends before the " + which + "'s name");
        }
        int n = Short.toUnsignedInt(in.getShort());
        if (n > in.remaining()) {
            throw malformed("the " + which + "'s name runs past its end");
        }
        byte[] name = new byte[n];
        in.get(name);
        try {
            return Prin.decode(name);
        } catch (AuthFormatException e) {
            throw new PeerRefusedException("malformed PSK identity: the " + which + "'s name is not a principal ("
                    + e.getMessage() + ")", e);
        }
    }

    private static PeerRefusedException malformed(String why) {
        return new PeerRefusedException("malformed PSK identity: " + why);
    }
}
