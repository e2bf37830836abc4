package io.keel.raft.codec;

/** Bounds-checked reader; every malformed input becomes a {@link CodecException}. */
final class ByteReader {
    private final byte[] buf;
    private int pos;

    ByteReader(byte[] buf) {
        if (buf == null) {
            throw new CodecException("null input");
        }
        this.buf = buf;
    }

    int remaining() {
        return buf.length - pos;
    }

    int u8() {
        if (pos >= buf.length) {
            throw new CodecException("truncated input at byte " + pos);
        }
        return buf[pos++] & 0xFF;
    }

    long varint() {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = u8();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (v < 0) {
                    throw new CodecException("varint out of range at byte " + pos);
                }
                return v;
            }
        }
        throw new CodecException("varint too long at byte " + pos);
    }

    /** A count of items each at least minBytes long; rejects counts that cannot fit in the input. */
    int count(int minBytes) {
        long n = varint();
        if (n > remaining() / Math.max(1, minBytes)) {
            throw new CodecException("count " + n + " exceeds remaining input " + remaining());
        }
        return (int) n;
    }

    byte[] bytes() {
        long n = varint();
        if (n > remaining()) {
            throw new CodecException("length " + n + " exceeds remaining input " + remaining());
        }
        byte[] out = new byte[(int) n];
        System.arraycopy(buf, pos, out, 0, (int) n);
        pos += (int) n;
        return out;
    }

    boolean bool() {
        int b = u8();
        if (b > 1) {
            throw new CodecException("invalid boolean " + b);
        }
        return b == 1;
    }

    void expectEnd() {
        if (pos != buf.length) {
            throw new CodecException((buf.length - pos) + " trailing bytes");
        }
    }
}
