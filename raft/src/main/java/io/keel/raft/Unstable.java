package io.keel.raft;

import java.util.ArrayList;
import java.util.List;

/**
 * Entries (and possibly a snapshot) not yet persisted by the application. Entry i is at
 * entries[i - offset]. Package-private: owned by {@link RaftLog}.
 */
final class Unstable {
    Snapshot snapshot; // null if none
    final ArrayList<Entry> entries = new ArrayList<>();
    long offset;

    Unstable(long offset) {
        this.offset = offset;
    }

    /** First index if only a snapshot is unstable, else -1. */
    long maybeFirstIndex() {
        return snapshot != null ? snapshot.metadata().index() + 1 : -1;
    }

    long maybeLastIndex() {
        if (!entries.isEmpty()) {
            return offset + entries.size() - 1;
        }
        return snapshot != null ? snapshot.metadata().index() : -1;
    }

    /** Term of i if known here, else -1. */
    long maybeTerm(long i) {
        if (i < offset) {
            if (snapshot != null && snapshot.metadata().index() == i) {
                return snapshot.metadata().term();
            }
            return -1;
        }
        long last = maybeLastIndex();
        if (last < 0 || i > last) {
            return -1;
        }
        return entries.get((int) (i - offset)).term();
    }

    /** Entries up to (index, term) were persisted: drop them if they still match. */
    void stableTo(long i, long t) {
        long gt = maybeTerm(i);
        if (gt < 0 || i < offset) {
            return; // already dropped, or only in snapshot
        }
        if (gt == t) {
            int n = (int) (i + 1 - offset);
            entries.subList(0, n).clear();
            offset = i + 1;
        }
    }

    void stableSnapTo(long i) {
        if (snapshot != null && snapshot.metadata().index() == i) {
            snapshot = null;
        }
    }

    void restore(Snapshot s) {
        offset = s.metadata().index() + 1;
        entries.clear();
        snapshot = s;
    }

    void truncateAndAppend(List<Entry> ents) {
        long after = ents.get(0).index();
        if (after == offset + entries.size()) {
            entries.addAll(ents);
        } else if (after <= offset) {
            offset = after;
            entries.clear();
            entries.addAll(ents);
        } else {
            entries.subList((int) (after - offset), entries.size()).clear();
            entries.addAll(ents);
        }
    }

    List<Entry> slice(long lo, long hi) {
        if (lo > hi || lo < offset || hi > offset + entries.size()) {
            throw new IllegalStateException("unstable.slice[" + lo + "," + hi + ") out of bound [" + offset + ","
                    + (offset + entries.size()) + "]");
        }
        return entries.subList((int) (lo - offset), (int) (hi - offset));
    }
}
