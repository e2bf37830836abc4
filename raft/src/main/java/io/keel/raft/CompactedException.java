package io.keel.raft;

/** Requested index is older than the storage's first index (it was compacted into a snapshot). */
public final class CompactedException extends RaftException {
    public CompactedException(long index, long firstIndex) {
        super("index " + index + " compacted (first index " + firstIndex + ")");
    }
}
