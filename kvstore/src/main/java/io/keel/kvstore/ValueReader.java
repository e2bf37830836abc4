package io.keel.kvstore;

import io.keel.proto.mvccpb.KeyValue;

/** Reads the stored KeyValue of a (non-tombstone) revision; null if it is not stored (compacted). */
interface ValueReader {
  KeyValue read(long main, long sub);
}
