package io.keel.raft.tracker;

/** How the leader replicates to a follower: probing for the match point, streaming, or sending a snapshot. */
public enum ProgressState {
    PROBE,
    REPLICATE,
    SNAPSHOT
}
