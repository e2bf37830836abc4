package io.keel.raft;

/** Volatile state surfaced in a Ready for observability: who the leader is and our role. Not persisted. */
public record SoftState(long leaderId, StateRole role) {
    @Override
    public boolean equals(Object o) {
        return o instanceof SoftState s && s.leaderId == leaderId && s.role == role;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(leaderId) * 31 + role.hashCode();
    }
}
