package io.keel.raft;

import java.util.ArrayList;
import java.util.List;

/**
 * The node's view of the log: durable {@link Storage} plus {@link Unstable} entries, with the commit and
 * applied indexes. Invariant: applied <= committed <= lastIndex (checked on every change).
 */
final class RaftLog {
    final Storage storage;
    final Unstable unstable;
    long committed;
    long applied;
    /** Highest index handed out in a Ready as committed (applying); advance() moves applied up to it. */
    long applying;
    final long maxApplyingBytes;

    RaftLog(Storage storage, long maxApplyingBytes) {
        this.storage = storage;
        this.maxApplyingBytes = maxApplyingBytes;
        long first = storage.firstIndex();
        long last = storage.lastIndex();
        this.unstable = new Unstable(last + 1);
        this.committed = first - 1;
        this.applied = first - 1;
        this.applying = first - 1;
    }

    long firstIndex() {
        long i = unstable.maybeFirstIndex();
        return i >= 0 ? i : storage.firstIndex();
    }

    long lastIndex() {
        long i = unstable.maybeLastIndex();
        return i >= 0 ? i : storage.lastIndex();
    }

    long lastTerm() {
        return term(lastIndex());
    }

    /** Term at i, or 0 if i is compacted or beyond the log (callers treat 0 as "unknown"). */
    long term(long i) {
        long dummy = firstIndex() - 1;
        if (i < dummy || i > lastIndex()) {
            return 0;
        }
        long t = unstable.maybeTerm(i);
        if (t >= 0) {
            return t;
        }
        try {
            return storage.term(i);
        } catch (CompactedException | UnavailableException e) {
            return 0;
        }
    }

    /** Like term(i) but throws CompactedException when i is compacted (used to decide to send a snapshot). */
    long termOrThrow(long i) {
        long dummy = firstIndex() - 1;
        if (i < dummy) {
            throw new CompactedException(i, dummy + 1);
        }
        if (i > lastIndex()) {
            return 0;
        }
        long t = unstable.maybeTerm(i);
        return t >= 0 ? t : storage.term(i);
    }

    boolean matchTerm(long i, long t) {
        long dummy = firstIndex() - 1;
        if (i < dummy || i > lastIndex()) {
            return false;
        }
        return term(i) == t;
    }

    /** Follower append with consistency check. Returns new last index, or -1 on mismatch. */
    long maybeAppend(long index, long logTerm, long committedIdx, List<Entry> ents) {
        if (!matchTerm(index, logTerm)) {
            return -1;
        }
        long lastNew = index + ents.size();
        long ci = findConflict(ents);
        if (ci != 0) {
            if (ci <= committed) {
                throw new IllegalStateException("entry " + ci + " conflicts with committed entry " + committed);
            }
            append(ents.subList((int) (ci - (index + 1)), ents.size()));
        }
        commitTo(Math.min(committedIdx, lastNew));
        return lastNew;
    }

    long append(List<Entry> ents) {
        if (ents.isEmpty()) {
            return lastIndex();
        }
        long after = ents.get(0).index() - 1;
        if (after < committed) {
            throw new IllegalStateException("append after " + after + " is below committed " + committed);
        }
        unstable.truncateAndAppend(ents);
        return lastIndex();
    }

    /** First index whose term differs (or that is new); 0 if all entries already match. */
    long findConflict(List<Entry> ents) {
        for (Entry e : ents) {
            if (!matchTerm(e.index(), e.term())) {
                return e.index();
            }
        }
        return 0;
    }

    /**
     * Largest index <= index whose term is <= term (fast back-off, etcd's findConflictByTerm); returns
     * {index, term}.
     */
    long[] findConflictByTerm(long index, long term) {
        long li = lastIndex();
        if (index > li) {
            return new long[] {index, 0};
        }
        long dummy = firstIndex() - 1;
        for (; index > dummy; index--) {
            long t = term(index);
            if (t <= term) {
                return new long[] {index, t};
            }
        }
        return new long[] {index, term(index)};
    }

    void commitTo(long toCommit) {
        if (committed < toCommit) {
            if (lastIndex() < toCommit) {
                throw new IllegalStateException("commit " + toCommit + " out of range [last " + lastIndex() + "]");
            }
            committed = toCommit;
        }
    }

    boolean maybeCommit(long maxIndex, long term) {
        if (maxIndex > committed && term(maxIndex) == term) {
            commitTo(maxIndex);
            return true;
        }
        return false;
    }

    void appliedTo(long i) {
        if (i == 0) {
            return;
        }
        if (committed < i || i < applied) {
            throw new IllegalStateException("applied " + i + " out of range [" + applied + "," + committed + "]");
        }
        applied = i;
        if (applying < i) {
            applying = i;
        }
    }

    void stableTo(long i, long t) {
        unstable.stableTo(i, t);
    }

    void stableSnapTo(long i) {
        unstable.stableSnapTo(i);
    }

    List<Entry> unstableEntries() {
        return unstable.entries.isEmpty() ? List.of() : List.copyOf(unstable.entries);
    }

    /** Committed entries not yet handed out for applying, bounded by maxApplyingBytes. */
    List<Entry> nextCommittedEntries() {
        long off = Math.max(applying + 1, firstIndex());
        long hi = Math.min(committed, lastIndex());
        if (hi >= off) {
            return slice(off, hi + 1, maxApplyingBytes);
        }
        return List.of();
    }

    boolean hasNextCommittedEntries() {
        long off = Math.max(applying + 1, firstIndex());
        return Math.min(committed, lastIndex()) >= off && unstable.snapshot == null;
    }

    boolean hasPendingSnapshot() {
        return unstable.snapshot != null;
    }

    Snapshot snapshot() {
        return unstable.snapshot != null ? unstable.snapshot : storage.snapshot();
    }

    /** Entries from i, bounded by maxBytes (at least one). Throws CompactedException if i is compacted. */
    List<Entry> entries(long i, long maxBytes) {
        if (i > lastIndex()) {
            return List.of();
        }
        return slice(i, lastIndex() + 1, maxBytes);
    }

    List<Entry> slice(long lo, long hi, long maxBytes) {
        if (lo == hi) {
            return List.of();
        }
        long fi = firstIndex();
        if (lo < fi) {
            throw new CompactedException(lo, fi);
        }
        if (hi > lastIndex() + 1) {
            throw new IllegalStateException("slice[" + lo + "," + hi + ") out of bound " + lastIndex());
        }
        List<Entry> out = new ArrayList<>();
        long size = 0;
        if (lo < unstable.offset) {
            List<Entry> stored = storage.entries(lo, Math.min(hi, unstable.offset), maxBytes);
            for (Entry e : stored) {
                size += e.sizeBytes();
                out.add(e);
            }
            if (stored.size() < Math.min(hi, unstable.offset) - lo) {
                return out; // hit the byte limit
            }
        }
        if (hi > unstable.offset) {
            for (Entry e : unstable.slice(Math.max(lo, unstable.offset), hi)) {
                size += e.sizeBytes();
                if (!out.isEmpty() && size > maxBytes) {
                    break;
                }
                out.add(e);
            }
        }
        return out;
    }

    boolean isUpToDate(long lasti, long t) {
        long lt = lastTerm();
        return t > lt || (t == lt && lasti >= lastIndex());
    }

    void restore(Snapshot s) {
        committed = s.metadata().index();
        unstable.restore(s);
    }

    /** Total bytes of entries in (from, to]; used to rebuild the uncommitted-size budget. */
    long payloadBytes(long from, long to) {
        long n = 0;
        if (to <= from) {
            return 0;
        }
        for (Entry e : slice(Math.max(from + 1, firstIndex()), to + 1, Long.MAX_VALUE)) {
            n += e.payloadBytes();
        }
        return n;
    }
}
