package io.keel.raft.quorum;

/** Outcome of tallying votes against a configuration. */
public enum VoteResult {
    PENDING,
    LOST,
    WON
}
