package io.keel.wal;

import java.util.Arrays;
import java.util.Objects;

/**
 * One Raft log entry as the WAL stores it: position (index, term) and opaque payload bytes. The WAL never
 * interprets the payload; the Raft adapter owns its encoding.
 */
public record WalEntry(long index, long term, byte[] data) {
  public WalEntry {
    if (index < 1) {
      throw new IllegalArgumentException("entry index must be >= 1, got " + index);
    }
    if (term < 0) {
      throw new IllegalArgumentException("entry term must be >= 0, got " + term);
    }
    Objects.requireNonNull(data, "data");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WalEntry e && e.index == index && e.term == term && Arrays.equals(e.data, data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(index, term) * 31 + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "WalEntry{index=" + index + ", term=" + term + ", dataBytes=" + data.length + "}";
  }
}
