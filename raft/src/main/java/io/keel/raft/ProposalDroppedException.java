package io.keel.raft;

/**
 * A proposal was not accepted (no leader, forwarding disabled, leadership transfer in progress, or
 * the uncommitted-bytes budget would be exceeded). The caller may retry later; nothing was appended.
 */
public final class ProposalDroppedException extends RaftException {
    public ProposalDroppedException(String message) {
        super(message);
    }
}
