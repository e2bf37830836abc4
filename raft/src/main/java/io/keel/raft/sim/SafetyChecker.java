package io.keel.raft.sim;

import io.keel.raft.ConfState;
import io.keel.raft.Entry;
import io.keel.raft.MemoryStorage;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks Raft's safety properties incrementally as the simulator persists and applies: election safety,
 * log matching, leader completeness, state-machine safety, monotonic commit, durability of committed
 * entries on a quorum (etcd #14370) and linearizable ReadIndex. Throws {@link SafetyViolation}.
 */
final class SafetyChecker {
    private final Map<Long, Long> leaderByTerm = new HashMap<>();
    /** (index, term) -> {dataHash, prevTerm or -1}. */
    private final Map<LogKey, long[]> logFacts = new HashMap<>();
    /** Globally applied sequence, 1-based: term, data hash and chained hash per index. */
    private long[] termAt = new long[1024];
    private long[] hashAt = new long[1024];
    private long[] chainAt = new long[1024];
    private int appliedSize; // highest index applied anywhere
    /** Term of the leader that first committed each index (0 = bootstrap / unknown). */
    private long[] commitTermAt = new long[1024];

    private record LogKey(long index, long term) {
    }

    static long hash(byte[] data) {
        long h = 0xcbf29ce484222325L;
        for (byte b : data) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return h;
    }

    static long chain(long prev, long term, long dataHash) {
        long h = prev * 31 + term;
        h = h * 0x9E3779B97F4A7C15L + dataHash;
        return h ^ (h >>> 29);
    }

    long appliedSize() {
        return appliedSize;
    }

    long chainAt(long index) {
        return index == 0 ? 0 : chainAt[(int) index];
    }

    void onLeader(long id, long term) {
        Long prev = leaderByTerm.putIfAbsent(term, id);
        if (prev != null && prev != id) {
            throw new SafetyViolation("election safety: term " + term + " has two leaders " + prev + " and " + id);
        }
    }

    /**
     * Leader completeness: a new leader of term T holds every entry committed in a term lower than T. (A
     * late-finishing election of an older term may legitimately lack entries committed in newer terms.)
     */
    void checkLeaderCompleteness(long id, long term, MemoryStorage disk) {
        for (long i = 1; i <= appliedSize; i++) {
            if (commitTermAt((int) i) >= term) {
                continue;
            }
            if (i > disk.lastIndex()) {
                throw new SafetyViolation("leader completeness: leader " + id + " at term " + term + " has last index "
                        + disk.lastIndex() + " but index " + i + " was committed in term " + commitTermAt((int) i));
            }
            if (i < disk.firstIndex()) {
                continue; // compacted: covered by the snapshot check
            }
            long t = disk.term(i);
            if (t != termAt[(int) i]) {
                throw new SafetyViolation("leader completeness: leader " + id + " at term " + term + " has term " + t
                        + " at committed index " + i + ", committed term is " + termAt[(int) i]);
            }
        }
    }

    /** Log matching: the same (index, term) anywhere always has the same data and the same predecessor term. */
    void onPersistEntries(long node, List<Entry> entries, long prevTermOfFirst) {
        long prevTerm = prevTermOfFirst;
        for (Entry e : entries) {
            long h = hash(e.data());
            long[] fact = logFacts.get(new LogKey(e.index(), e.term()));
            if (fact == null) {
                logFacts.put(new LogKey(e.index(), e.term()), new long[] {h, prevTerm});
            } else {
                if (fact[0] != h) {
                    throw new SafetyViolation("log matching: node " + node + " entry " + e.index() + "@" + e.term()
                            + " has different data than seen elsewhere");
                }
                if (fact[1] >= 0 && prevTerm >= 0 && fact[1] != prevTerm) {
                    throw new SafetyViolation("log matching: node " + node + " entry " + e.index() + "@" + e.term()
                            + " follows term " + prevTerm + " but elsewhere follows term " + fact[1]);
                }
                if (fact[1] < 0 && prevTerm >= 0) {
                    fact[1] = prevTerm;
                }
            }
            prevTerm = e.term();
        }
    }

    void onCommitPersisted(long node, long oldCommit, long newCommit) {
        if (newCommit < oldCommit) {
            throw new SafetyViolation("monotonic commit: node " + node + " commit went " + oldCommit + " -> " + newCommit);
        }
    }

    /** State-machine safety: every node applies the same entry at each index, in order, without gaps. */
    void onApply(long node, Entry e, long expectedIndex) {
        if (e.index() != expectedIndex) {
            throw new SafetyViolation("node " + node + " applied index " + e.index() + ", expected " + expectedIndex);
        }
        long h = hash(e.data());
        int i = (int) e.index();
        if (i <= appliedSize) {
            if (termAt[i] != e.term() || hashAt[i] != h) {
                throw new SafetyViolation("state machine safety: node " + node + " applied " + e.index() + "@"
                        + e.term() + " but " + termAt[i] + " was applied there before");
            }
            return;
        }
        if (i != appliedSize + 1) {
            throw new SafetyViolation("node " + node + " applied index " + i + " beyond global applied " + appliedSize);
        }
        if (i >= termAt.length) {
            int n = termAt.length * 2;
            termAt = Arrays.copyOf(termAt, n);
            hashAt = Arrays.copyOf(hashAt, n);
            chainAt = Arrays.copyOf(chainAt, n);
        }
        termAt[i] = e.term();
        hashAt[i] = h;
        chainAt[i] = chain(chainAt[i - 1], e.term(), h);
        appliedSize = i;
    }

    /**
     * Commitment only of durable entries (etcd #14370): when a leader persists a higher commit index, every
     * newly committed entry must already be on the disks of a quorum of the configuration the leader used to
     * count (its applied configuration, joint-aware), the leader's own disk counting only if written.
     */
    private long commitTermAt(int i) {
        return i < commitTermAt.length ? commitTermAt[i] : 0;
    }

    /** Records, per index, the (first observed) term in which it became committed. */
    void onCommitObserved(long term, long oldCommit, long newCommit) {
        if (newCommit >= commitTermAt.length) {
            commitTermAt = Arrays.copyOf(commitTermAt, (int) Math.max(newCommit + 1, commitTermAt.length * 2L));
        }
        for (long i = oldCommit + 1; i <= newCommit; i++) {
            if (commitTermAt[(int) i] == 0) {
                commitTermAt[(int) i] = term;
            }
        }
    }

    void onLeaderCommit(long leader, long oldCommit, long newCommit, ConfState conf, SimNode[] nodes) {
        MemoryStorage own = nodes[(int) leader].disk;
        for (long i = Math.max(oldCommit + 1, own.firstIndex()); i <= newCommit; i++) {
            if (i > own.lastIndex()) {
                throw new SafetyViolation("leader " + leader + " committed " + i + " beyond its durable log "
                        + own.lastIndex());
            }
            long term = own.term(i);
            if (!durableOn(conf.voters(), i, term, nodes)
                    || (!conf.votersOutgoing().isEmpty() && !durableOn(conf.votersOutgoing(), i, term, nodes))) {
                throw new SafetyViolation("leader " + leader + " committed " + i + "@" + term
                        + " which is not durable on a quorum of " + conf);
            }
        }
    }

    private static boolean durableOn(List<Long> voters, long index, long term, SimNode[] nodes) {
        int have = 0;
        for (long v : voters) {
            MemoryStorage d = nodes[(int) v].disk;
            if (index < d.firstIndex() || (index <= d.lastIndex() && d.term(index) == term)) {
                have++;
            }
        }
        return have >= voters.size() / 2 + 1;
    }

    /** A snapshot must reproduce the globally applied prefix exactly. */
    void onSnapshotInstalled(long node, long index, long chainHash) {
        if (index > appliedSize) {
            throw new SafetyViolation("node " + node + " installed snapshot " + index + " beyond applied " + appliedSize);
        }
        if (chainAt(index) != chainHash) {
            throw new SafetyViolation("state machine safety: node " + node + " snapshot at " + index
                    + " differs from the applied history");
        }
    }

    /** Linearizable reads: a read issued after index k was applied anywhere must be served at >= k. */
    void onReadState(long node, long readIndex, long minIndex) {
        if (readIndex < minIndex) {
            throw new SafetyViolation("stale read: node " + node + " read index " + readIndex
                    + " < index " + minIndex + " committed before the read was issued");
        }
    }
}
