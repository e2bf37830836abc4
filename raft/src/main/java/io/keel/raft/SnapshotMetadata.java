package io.keel.raft;

import java.util.Objects;

/** Describes a snapshot: the last index/term it covers and the membership at that index. */
public record SnapshotMetadata(ConfState confState, long index, long term) {
    public static final SnapshotMetadata EMPTY = new SnapshotMetadata(ConfState.EMPTY, 0, 0);

    public SnapshotMetadata {
        Objects.requireNonNull(confState, "confState");
        if (index < 0 || term < 0) {
            throw new IllegalArgumentException("negative snapshot index/term");
        }
    }
}
