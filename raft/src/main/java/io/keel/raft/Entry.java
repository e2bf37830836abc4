package io.keel.raft;

import java.util.Arrays;
import java.util.Objects;

/**
 * One immutable log entry. {@code data} is never null (empty for the leader's no-op) and is copied on
 * construction so callers cannot mutate the log behind Raft's back.
 */
public record Entry(long term, long index, EntryType type, byte[] data) {
    private static final byte[] EMPTY = new byte[0];

    public Entry {
        if (term < 0 || index < 0) {
            throw new IllegalArgumentException("negative term/index: term=" + term + " index=" + index);
        }
        Objects.requireNonNull(type, "type");
        data = data == null || data.length == 0 ? EMPTY : data.clone();
    }

    public static Entry normal(long term, long index, byte[] data) {
        return new Entry(term, index, EntryType.NORMAL, data);
    }

    /** Approximate payload size used for all byte budgets (matches what the codec writes, minus framing). */
    public long sizeBytes() {
        return data.length + 24L;
    }

    /** Bytes counted against maxUncommittedEntriesBytes (payload only, like etcd). */
    public long payloadBytes() {
        return data.length;
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /** Direct read-only view for hot paths inside the library (never mutate). */
    byte[] dataUnsafe() {
        return data;
    }

    public int dataLength() {
        return data.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Entry e && e.term == term && e.index == index && e.type == type
                && Arrays.equals(e.data, data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(term, index, type) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Entry{" + index + "@" + term + " " + type + " " + data.length + "B}";
    }
}
