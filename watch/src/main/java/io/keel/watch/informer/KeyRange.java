package io.keel.watch.informer;

import com.google.protobuf.ByteString;

/** The etcd key range {@code [key, rangeEnd)} that holds exactly the keys starting with a prefix. */
record KeyRange(ByteString key, ByteString rangeEnd) {
  private static final ByteString ZERO = ByteString.copyFrom(new byte[] {0});

  /** etcd's prefix rule: increment the last byte below 0xff (dropping trailing 0xff); none → all keys. */
  static KeyRange prefix(ByteString prefix) {
    if (prefix.isEmpty()) {
      return new KeyRange(ZERO, ZERO);
    }
    byte[] end = prefix.toByteArray();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xff) {
        end[i]++;
        return new KeyRange(prefix, ByteString.copyFrom(end, 0, i + 1));
      }
    }
    return new KeyRange(prefix, ZERO);
  }

  /** The smallest key after {@code key}. */
  static ByteString successor(ByteString key) {
    return key.concat(ZERO);
  }
}
