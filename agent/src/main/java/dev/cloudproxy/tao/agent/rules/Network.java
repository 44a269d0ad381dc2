package dev.cloudproxy.tao.agent.rules;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;

/** An address block in CIDR form ({@code 10.0.0.0/8}, {@code fd00::/8}, one address, or any). */
public final class Network {
    /** Every address, IPv4 and IPv6. */
    public static final Network ANY = new Network(null, 0);

    private final byte[] prefix; // null for ANY; the network address, host bits zero
    private final int bits;

    private Network(byte[] prefix, int bits) {
        this.prefix = prefix;
        this.bits = bits;
    }

    /** The block of {@code address} with the first {@code bits} bits significant (host bits must be zero). */
    static Network of(InetAddress address, int bits) {
        byte[] a = address.getAddress();
        if (bits < 0 || bits > a.length * 8) {
            throw new IllegalArgumentException("prefix length " + bits + " is out of range for " + address.getHostAddress());
        }
        for (int i = bits; i < a.length * 8; i++) {
            if ((a[i / 8] & (0x80 >>> (i % 8))) != 0) {
                throw new IllegalArgumentException(address.getHostAddress() + "/" + bits + " has host bits set");
            }
        }
        return new Network(a, bits);
    }

    /** Whether {@code address} is in this block. IPv4 and IPv6 blocks never contain each other's addresses. */
    public boolean contains(InetAddress address) {
        if (prefix == null) {
            return true;
        }
        byte[] a = address.getAddress();
        if (a.length != prefix.length) {
            return false;
        }
        for (int i = 0; i < bits; i++) {
            int mask = 0x80 >>> (i % 8);
            if ((a[i / 8] & mask) != (prefix[i / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Network n && bits == n.bits && Arrays.equals(prefix, n.prefix);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(prefix) + bits;
    }

    @Override
    public String toString() {
        if (prefix == null) {
            return "*";
        }
        String host;
        try {
            host = InetAddress.getByAddress(prefix).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e); // 4 or 16 bytes: cannot happen
        }
        int full = prefix.length * 8;
        return bits == full ? host : host + "/" + bits;
    }

    boolean isIpv4() {
        return prefix != null && prefix.length == 4;
    }

    static boolean isIpv4(InetAddress a) {
        return a instanceof Inet4Address;
    }
}
