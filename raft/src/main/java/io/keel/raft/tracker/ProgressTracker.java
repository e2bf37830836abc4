package io.keel.raft.tracker;

import io.keel.raft.quorum.VoteResult;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/** Current membership, per-node progress and the votes of the current election. Owned by one Raft node. */
public final class ProgressTracker {
    private TrackerConfig config = TrackerConfig.EMPTY;
    private TreeMap<Long, Progress> progress = new TreeMap<>();
    private final Map<Long, Boolean> votes = new HashMap<>();
    public final int maxInflight;
    public final long maxInflightBytes;

    public ProgressTracker(int maxInflight, long maxInflightBytes) {
        this.maxInflight = maxInflight;
        this.maxInflightBytes = maxInflightBytes;
    }

    public TrackerConfig config() {
        return config;
    }

    public Map<Long, Progress> progress() {
        return progress;
    }

    public Progress get(long id) {
        return progress.get(id);
    }

    public void reset(TrackerConfig cfg, TreeMap<Long, Progress> prs) {
        this.config = cfg;
        this.progress = prs;
    }

    public Inflights newInflights() {
        return new Inflights(maxInflight, maxInflightBytes);
    }

    public boolean isSingleton() {
        return config.voters().incoming().size() == 1 && !config.voters().isJoint();
    }

    /** Largest index replicated on a quorum (joint-aware); only voters' match counts. */
    public long committed() {
        return config.voters().committedIndex(id -> {
            Progress p = progress.get(id);
            return p == null ? -1 : p.match;
        });
    }

    public void visit(BiConsumer<Long, Progress> f) {
        progress.forEach(f);
    }

    /** True if a quorum of voters was recently active (the caller marks itself active). */
    public boolean quorumActive() {
        Map<Long, Boolean> active = new HashMap<>();
        progress.forEach((id, p) -> {
            if (!p.isLearner) {
                active.put(id, p.recentActive);
            }
        });
        return config.voters().voteResult(active) == VoteResult.WON;
    }

    public void resetVotes() {
        votes.clear();
    }

    public void recordVote(long id, boolean granted) {
        votes.putIfAbsent(id, granted);
    }

    public VoteResult tallyVotes() {
        return config.voters().voteResult(votes);
    }

    public int[] voteCounts() {
        int granted = 0;
        int rejected = 0;
        for (long id : config.voters().ids()) {
            Boolean v = votes.get(id);
            if (v != null) {
                if (v) {
                    granted++;
                } else {
                    rejected++;
                }
            }
        }
        return new int[] {granted, rejected};
    }
}
