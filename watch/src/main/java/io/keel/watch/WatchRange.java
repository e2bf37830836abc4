package io.keel.watch;

import com.google.protobuf.ByteString;

/**
 * The keys one watcher observes, normalised as etcd does: an empty key is {@code \0}; no range_end is the
 * single key; range_end {@code \0} is every key {@code >= key}; otherwise the half-open range [key, end).
 * The {@link Kind} lets the index pick a structure (hash for keys, prefix table, scanned list for the rest).
 */
record WatchRange(ByteString key, ByteString end, Kind kind) {
  enum Kind { SINGLE, PREFIX, FROM_KEY, RANGE }

  private static final ByteString ZERO = ByteString.copyFrom(new byte[] {0});

  WatchRange {
    if (key.isEmpty()) {
      throw new IllegalArgumentException("key must be normalised to \\0");
    }
  }

  /** Normalises a request's key/range_end; null when the range is empty (etcd rejects the watch). */
  static WatchRange of(ByteString rawKey, ByteString rawEnd) {
    ByteString key = rawKey.isEmpty() ? ZERO : rawKey;
    if (rawEnd.isEmpty()) {
      return new WatchRange(key, ByteString.EMPTY, Kind.SINGLE);
    }
    if (rawEnd.equals(ZERO)) {
      return new WatchRange(key, ByteString.EMPTY, Kind.FROM_KEY);
    }
    if (ByteString.unsignedLexicographicalComparator().compare(key, rawEnd) >= 0) {
      return null;
    }
    ByteString pe = prefixEnd(key);
    return new WatchRange(key, rawEnd, rawEnd.equals(pe) ? Kind.PREFIX : Kind.RANGE);
  }

  /** The smallest key greater than every key with this prefix, or {@code \0} ("no end") if none exists. */
  static ByteString prefixEnd(ByteString prefix) {
    byte[] b = prefix.toByteArray();
    for (int i = b.length - 1; i >= 0; i--) {
      if ((b[i] & 0xff) < 0xff) {
        b[i]++;
        return ByteString.copyFrom(b, 0, i + 1);
      }
    }
    return ZERO;
  }

  boolean contains(ByteString k) {
    return switch (kind) {
      case SINGLE -> key.equals(k);
      case PREFIX -> k.startsWith(key);
      case FROM_KEY -> ByteString.unsignedLexicographicalComparator().compare(k, key) >= 0;
      case RANGE -> ByteString.unsignedLexicographicalComparator().compare(k, key) >= 0
          && ByteString.unsignedLexicographicalComparator().compare(k, end) < 0;
    };
  }
}
