package io.keel.raft.codec;

import java.util.Arrays;

/** Growable byte buffer with unsigned LEB128 varints. */
final class ByteWriter {
    private byte[] buf;
    private int len;

    ByteWriter(int initial) {
        buf = new byte[Math.max(16, initial)];
    }

    private void ensure(int n) {
        if (len + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
        }
    }

    void u8(int v) {
        ensure(1);
        buf[len++] = (byte) v;
    }

    void varint(long v) {
        if (v < 0) {
            throw new IllegalArgumentException("negative varint " + v);
        }
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[len++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[len++] = (byte) v;
    }

    void bytes(byte[] b) {
        varint(b.length);
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }
}
