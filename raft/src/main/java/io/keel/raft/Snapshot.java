package io.keel.raft;

import java.util.Objects;

/** An immutable state-machine snapshot (opaque data + metadata). Durable snapshot storage is a later issue. */
public record Snapshot(SnapshotMetadata metadata, byte[] data) {
    public static final Snapshot EMPTY = new Snapshot(SnapshotMetadata.EMPTY, new byte[0]);

    public Snapshot {
        Objects.requireNonNull(metadata, "metadata");
        data = data == null ? new byte[0] : data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    public boolean isEmpty() {
        return metadata.index() == 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Snapshot s && s.metadata.equals(metadata) && java.util.Arrays.equals(s.data, data);
    }

    @Override
    public int hashCode() {
        return metadata.hashCode() * 31 + java.util.Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Snapshot{" + metadata + ", " + data.length + "B}";
    }
}
