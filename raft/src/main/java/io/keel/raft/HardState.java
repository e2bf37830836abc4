package io.keel.raft;

/** The state Raft must persist before sending the messages of the same Ready: current term, vote, commit. */
public record HardState(long term, long vote, long commit) {
    public static final HardState EMPTY = new HardState(0, 0, 0);

    public HardState {
        if (term < 0 || vote < 0 || commit < 0) {
            throw new IllegalArgumentException("negative hard state field: " + term + "/" + vote + "/" + commit);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HardState h && h.term == term && h.vote == vote && h.commit == commit;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(term * 31 + vote) * 31 + Long.hashCode(commit);
    }

    public boolean isEmpty() {
        return equals(EMPTY);
    }
}
