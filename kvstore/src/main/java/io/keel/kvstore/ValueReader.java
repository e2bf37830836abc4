package io.keel.kvstore;

import io.keel.proto.mvccpb.KeyValue;

/** Reads the stored KeyValue of a (non-tombstone) revision; null if it is not stored (compacted). */
interface ValueReader {
  KeyValue read(long main, long sub);

  /** Reads {@code count} revisions given as (main, sub) pairs from {@code revs[2*from]}; nulls if missing. */
  default KeyValue[] readAll(long[] revs, int from, int count) {
    KeyValue[] out = new KeyValue[count];
    for (int i = 0; i < count; i++) {
      out[i] = read(revs[2 * (from + i)], revs[2 * (from + i) + 1]);
    }
    return out;
  }
}
