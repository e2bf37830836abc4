package io.keel.raft.quorum;

/** Looks up the acknowledged (match) index of a voter; returns -1 if the voter is unknown. */
@FunctionalInterface
public interface AckedIndexer {
    long ackedIndex(long voterId);
}
