package dev.cloudproxy.tao.cli;

import java.io.InputStream;

/**
 * {@code total} bytes of a repeated pattern, generated as read (a 100 MB input costs nothing),
 * counting how many bytes the reader actually took.
 */
final class RepeatingInputStream extends InputStream {
    private final byte[] prefix;
    private final byte[] pattern;
    private final long total;
    private long position;

    RepeatingInputStream(byte[] prefix, byte[] pattern, long total) {
        this.prefix = prefix.clone();
        this.pattern = pattern.clone();
        this.total = total;
    }

    long bytesRead() {
        return position;
    }

    @Override
    public int read() {
        if (position >= total) {
            return -1;
        }
        return byteAt(position++) & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (len == 0) {
            return 0;
        }
        if (position >= total) {
            return -1;
        }
        int n = (int) Math.min(len, total - position);
        for (int i = 0; i < n; i++) {
            b[off + i] = byteAt(position++);
        }
        return n;
    }

    private byte byteAt(long p) {
        if (p < prefix.length) {
            return prefix[(int) p];
        }
        return pattern[(int) ((p - prefix.length) % pattern.length)];
    }
}
