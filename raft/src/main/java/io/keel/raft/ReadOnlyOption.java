package io.keel.raft;

/**
 * SAFE: ReadIndex confirms leadership with a heartbeat round before answering. LEASE_BASED: the leader
 * answers from its lease (requires CheckQuorum; unsafe under unbounded clock drift).
 */
public enum ReadOnlyOption {
    SAFE,
    LEASE_BASED
}
