package io.keel.raft.quorum;

import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** A set of voters decided by simple majority. Immutable; pure functions only. */
public final class MajorityConfig {
    public static final MajorityConfig EMPTY = new MajorityConfig(Set.of());
    private final long[] ids; // sorted

    public MajorityConfig(Collection<Long> voters) {
        this.ids = new TreeSet<>(voters).stream().mapToLong(Long::longValue).toArray();
        for (long id : ids) {
            if (id <= 0) {
                throw new IllegalArgumentException("voter id must be > 0: " + id);
            }
        }
    }

    public Set<Long> ids() {
        TreeSet<Long> s = new TreeSet<>();
        for (long id : ids) {
            s.add(id);
        }
        return s;
    }

    public boolean contains(long id) {
        return Arrays.binarySearch(ids, id) >= 0;
    }

    public int size() {
        return ids.length;
    }

    public boolean isEmpty() {
        return ids.length == 0;
    }

    /**
     * The largest index acknowledged by a majority. An empty config returns Long.MAX_VALUE so that it never
     * constrains a joint config (matching etcd). A voter with no known index counts as 0.
     */
    public long committedIndex(AckedIndexer acked) {
        int n = ids.length;
        if (n == 0) {
            return Long.MAX_VALUE;
        }
        long[] srt = new long[n];
        for (int i = 0; i < n; i++) {
            long v = acked.ackedIndex(ids[i]);
            srt[i] = Math.max(v, 0);
        }
        Arrays.sort(srt);
        // n=3 -> quorum 2 -> srt[1]; n=4 -> quorum 3 -> srt[1]; n=5 -> srt[2]
        int pos = n - (n / 2 + 1);
        return srt[pos];
    }

    /** Tally: WON if a majority voted yes, LOST if a majority can no longer be reached, else PENDING. */
    public VoteResult voteResult(Map<Long, Boolean> votes) {
        if (ids.length == 0) {
            return VoteResult.WON;
        }
        int yes = 0;
        int missing = 0;
        for (long id : ids) {
            Boolean v = votes.get(id);
            if (v == null) {
                missing++;
            } else if (v) {
                yes++;
            }
        }
        int q = ids.length / 2 + 1;
        if (yes >= q) {
            return VoteResult.WON;
        }
        if (yes + missing >= q) {
            return VoteResult.PENDING;
        }
        return VoteResult.LOST;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MajorityConfig m && Arrays.equals(m.ids, ids);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ids);
    }

    @Override
    public String toString() {
        return Arrays.toString(ids);
    }
}
