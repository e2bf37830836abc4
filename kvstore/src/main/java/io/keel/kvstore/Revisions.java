package io.keel.kvstore;

/**
 * etcd's on-disk revision key: 8-byte big-endian main, '_', 8-byte big-endian sub (17 bytes), plus a
 * trailing 't' for a tombstone. Byte order equals revision order.
 */
final class Revisions {
  static final int KEY_LEN = 17;
  static final int TOMBSTONE_KEY_LEN = 18;

  private Revisions() {}

  static byte[] toBytes(long main, long sub, boolean tombstone) {
    byte[] b = new byte[tombstone ? TOMBSTONE_KEY_LEN : KEY_LEN];
    putLong(b, 0, main);
    b[8] = '_';
    putLong(b, 9, sub);
    if (tombstone) {
      b[17] = 't';
    }
    return b;
  }

  /** The smallest key of main revision {@code main} (for range bounds). */
  static byte[] lowerBound(long main) {
    return toBytes(main, 0, false);
  }

  static long main(byte[] k) {
    check(k);
    return getLong(k, 0);
  }

  static long sub(byte[] k) {
    check(k);
    return getLong(k, 9);
  }

  static boolean isTombstone(byte[] k) {
    check(k);
    return k.length == TOMBSTONE_KEY_LEN;
  }

  private static void check(byte[] k) {
    if ((k.length != KEY_LEN && !(k.length == TOMBSTONE_KEY_LEN && k[17] == 't')) || k[8] != '_') {
      throw new IllegalStateException("malformed revision key of " + k.length + " bytes");
    }
  }

  static void putLong(byte[] b, int off, long v) {
    for (int i = 7; i >= 0; i--) {
      b[off + i] = (byte) v;
      v >>>= 8;
    }
  }

  static long getLong(byte[] b, int off) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[off + i] & 0xFF);
    }
    return v;
  }
}
