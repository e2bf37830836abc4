package io.keel.raft;

import java.util.Objects;

/** A single add/remove/add-learner of one node id. */
public record ConfChangeSingle(ConfChangeType type, long nodeId) {
    public ConfChangeSingle {
        Objects.requireNonNull(type, "type");
        if (nodeId <= 0) {
            throw new IllegalArgumentException("node id must be > 0: " + nodeId);
        }
    }
}
