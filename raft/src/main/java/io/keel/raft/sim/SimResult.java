package io.keel.raft.sim;

/** Statistics of a passing run. */
public record SimResult(long seed, int nodes, long steps, long messagesDelivered, long entriesApplied,
                        long leadersElected, long crashes, long confChangesApplied, long readsChecked,
                        long snapshotsInstalled) {
}
