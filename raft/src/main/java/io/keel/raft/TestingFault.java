package io.keel.raft;

/**
 * Deliberate protocol bugs ("buggify" switches) that exist ONLY so tests can prove the simulator's checkers
 * catch real safety violations. Production configs must use NONE (the default); anything else is unsafe.
 */
public enum TestingFault {
    NONE,
    /** Leader commits by counting replicas of entries from older terms (Raft paper figure 8 bug). */
    COMMIT_OLD_TERM_ENTRIES,
    /** Voters grant votes without checking that the candidate's log is at least as up to date. */
    VOTE_WITHOUT_LOG_CHECK
}
