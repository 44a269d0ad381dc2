package dev.cloudproxy.tao.agent.rules;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

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

    /**
     * This block as one interval of a number line that holds every IPv4 address (0 to 2^32 - 1)
     * and then every IPv6 address (2^32 onwards), so that "is this block covered by those" is one
     * interval question whatever the families. {@link #ANY} is the whole line.
     */
    Span span() {
        if (prefix == null) {
            return new Span(BigInteger.ZERO, LINE_END);
        }
        BigInteger base = prefix.length == 4 ? BigInteger.ZERO : IPV6_START;
        BigInteger first = base.add(new BigInteger(1, prefix));
        BigInteger size = BigInteger.ONE.shiftLeft(prefix.length * 8 - bits);
        return new Span(first, first.add(size).subtract(BigInteger.ONE));
    }

    private static final BigInteger IPV6_START = BigInteger.ONE.shiftLeft(32);
    private static final BigInteger LINE_END = IPV6_START.add(BigInteger.ONE.shiftLeft(128)).subtract(BigInteger.ONE);

    /** A closed interval {@code [first, last]} of the address line of {@link #span()}. */
    record Span(BigInteger first, BigInteger last) {
        /** Whether every point of this span lies in one of {@code others}. */
        boolean coveredBy(List<Span> others) {
            List<Span> sorted = others.stream().sorted(Comparator.comparing(Span::first)).toList();
            BigInteger next = first; // the lowest point not yet known to be covered
            for (Span o : sorted) {
                if (o.first.compareTo(next) > 0) {
                    break; // a gap at next
                }
                if (o.last.compareTo(next) >= 0) {
                    next = o.last.add(BigInteger.ONE);
                    if (next.compareTo(last) > 0) {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    boolean isIpv4() {
        return prefix != null && prefix.length == 4;
    }

    static boolean isIpv4(InetAddress a) {
        return a instanceof Inet4Address;
    }
}
