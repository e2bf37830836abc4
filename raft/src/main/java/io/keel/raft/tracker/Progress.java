package io.keel.raft.tracker;

/**
 * The leader's view of one follower: match/next indexes and the flow-control state. Mutable; owned by the
 * single leader thread.
 */
public final class Progress {
    public long match;
    public long next;
    public ProgressState state = ProgressState.PROBE;
    /** Index of the snapshot being sent while in SNAPSHOT state. */
    public long pendingSnapshot;
    /** Heard from recently (reset by CheckQuorum each election timeout). */
    public boolean recentActive;
    /** In PROBE: one message sent, wait for a response or heartbeat. In REPLICATE: window full. */
    public boolean msgAppFlowPaused;
    public final Inflights inflights;
    public boolean isLearner;

    public Progress(long match, long next, Inflights inflights, boolean isLearner) {
        this.match = match;
        this.next = next;
        this.inflights = inflights;
        this.isLearner = isLearner;
    }

    /** Shallow copy sharing the inflight window (used by the conf-change changer before validating). */
    public Progress copy() {
        Progress c = new Progress(match, next, inflights, isLearner);
        c.state = state;
        c.pendingSnapshot = pendingSnapshot;
        c.recentActive = recentActive;
        c.msgAppFlowPaused = msgAppFlowPaused;
        return c;
    }

    private void resetState(ProgressState s) {
        msgAppFlowPaused = false;
        pendingSnapshot = 0;
        state = s;
        inflights.reset();
    }

    public void becomeProbe() {
        if (state == ProgressState.SNAPSHOT) {
            long ps = pendingSnapshot;
            resetState(ProgressState.PROBE);
            next = Math.max(match + 1, ps + 1);
        } else {
            resetState(ProgressState.PROBE);
            next = match + 1;
        }
    }

    public void becomeReplicate() {
        resetState(ProgressState.REPLICATE);
        next = match + 1;
    }

    public void becomeSnapshot(long snapshotIndex) {
        resetState(ProgressState.SNAPSHOT);
        pendingSnapshot = snapshotIndex;
    }

    /** Records that an append with entries up to lastIndex (of sizeBytes) was sent. */
    public void sentEntries(int entries, long lastIndex, long sizeBytes) {
        switch (state) {
            case REPLICATE -> {
                if (entries > 0) {
                    next = lastIndex + 1;
                    inflights.add(lastIndex, sizeBytes);
                }
                msgAppFlowPaused = inflights.full();
            }
            case PROBE -> {
                if (entries > 0) {
                    msgAppFlowPaused = true;
                }
            }
            default -> throw new IllegalStateException("sending append in state " + state);
        }
    }

    /** Returns false if n is stale. */
    public boolean maybeUpdate(long n) {
        boolean updated = false;
        if (match < n) {
            match = n;
            updated = true;
            msgAppFlowPaused = false;
        }
        next = Math.max(next, n + 1);
        return updated;
    }

    /**
     * Handles a rejected append at index {@code rejected} with the follower's hint {@code matchHint}. Returns
     * false if the rejection is stale.
     */
    public boolean maybeDecrTo(long rejected, long matchHint) {
        if (state == ProgressState.REPLICATE) {
            if (rejected <= match) {
                return false;
            }
            next = match + 1;
            return true;
        }
        if (next - 1 != rejected) {
            return false;
        }
        next = Math.max(Math.min(rejected, matchHint + 1), match + 1);
        msgAppFlowPaused = false;
        return true;
    }

    public boolean isPaused() {
        return switch (state) {
            case PROBE, REPLICATE -> msgAppFlowPaused;
            case SNAPSHOT -> true;
        };
    }

    @Override
    public String toString() {
        return state + " match=" + match + " next=" + next + (isLearner ? " learner" : "")
                + (state == ProgressState.SNAPSHOT ? " pendingSnap=" + pendingSnapshot : "")
                + " inflight=" + inflights.count();
    }
}
