package io.keel.raft;

import java.util.ArrayList;
import java.util.List;

/**
 * In-memory {@link Storage}. Element 0 of the entry array is a dummy holding the snapshot's index/term, so
 * term(firstIndex-1) stays answerable after compaction. Single-threaded (owned by the node's driver).
 */
public final class MemoryStorage implements Storage {
    private HardState hardState = HardState.EMPTY;
    private Snapshot snapshot = Snapshot.EMPTY;
    private final ArrayList<Entry> ents = new ArrayList<>();

    public MemoryStorage() {
        ents.add(new Entry(0, 0, EntryType.NORMAL, null));
    }

    /** A storage bootstrapped with the given voters (as if from an initial snapshot at index 0). */
    public static MemoryStorage withVoters(long... ids) {
        MemoryStorage s = new MemoryStorage();
        s.snapshot = new Snapshot(new SnapshotMetadata(ConfState.ofVoters(ids), 0, 0), null);
        return s;
    }

    @Override
    public InitialState initialState() {
        return new InitialState(hardState, snapshot.metadata().confState());
    }

    public HardState hardState() {
        return hardState;
    }

    public void setHardState(HardState hs) {
        this.hardState = hs;
    }

    private long offset() {
        return ents.get(0).index();
    }

    @Override
    public List<Entry> entries(long lo, long hi, long maxBytes) {
        long off = offset();
        if (lo <= off) {
            throw new CompactedException(lo, off + 1);
        }
        if (hi > lastIndex() + 1) {
            throw new UnavailableException(hi - 1, lastIndex());
        }
        if (lo > hi) {
            throw new IllegalArgumentException("lo " + lo + " > hi " + hi);
        }
        List<Entry> out = new ArrayList<>();
        long size = 0;
        for (long i = lo; i < hi; i++) {
            Entry e = ents.get((int) (i - off));
            size += e.sizeBytes();
            if (!out.isEmpty() && size > maxBytes) {
                break;
            }
            out.add(e);
        }
        return out;
    }

    @Override
    public long term(long i) {
        long off = offset();
        if (i < off) {
            throw new CompactedException(i, off + 1);
        }
        if (i - off >= ents.size()) {
            throw new UnavailableException(i, lastIndex());
        }
        return ents.get((int) (i - off)).term();
    }

    @Override
    public long firstIndex() {
        return offset() + 1;
    }

    @Override
    public long lastIndex() {
        return offset() + ents.size() - 1;
    }

    @Override
    public Snapshot snapshot() {
        return snapshot;
    }

    /** Replaces the storage content by a newer snapshot. Older snapshots are rejected. */
    public void applySnapshot(Snapshot snap) {
        if (snap.metadata().index() <= snapshot.metadata().index()) {
            throw new RaftException("snapshot out of date: " + snap.metadata().index() + " <= "
                    + snapshot.metadata().index());
        }
        snapshot = snap;
        ents.clear();
        ents.add(new Entry(snap.metadata().term(), snap.metadata().index(), EntryType.NORMAL, null));
    }

    /** Makes a snapshot at applied index i (i <= lastIndex) that can later be sent to slow followers. */
    public Snapshot createSnapshot(long i, ConfState cs, byte[] data) {
        if (i <= snapshot.metadata().index()) {
            throw new RaftException("snapshot out of date: " + i + " <= " + snapshot.metadata().index());
        }
        if (i > lastIndex()) {
            throw new UnavailableException(i, lastIndex());
        }
        snapshot = new Snapshot(new SnapshotMetadata(cs, i, term(i)), data);
        return snapshot;
    }

    /** Discards entries up to and including compactIndex (which must be <= lastIndex). */
    public void compact(long compactIndex) {
        long off = offset();
        if (compactIndex <= off) {
            throw new CompactedException(compactIndex, off + 1);
        }
        if (compactIndex > lastIndex()) {
            throw new UnavailableException(compactIndex, lastIndex());
        }
        int i = (int) (compactIndex - off);
        Entry keep = ents.get(i);
        List<Entry> rest = new ArrayList<>(ents.subList(i + 1, ents.size()));
        ents.clear();
        ents.add(new Entry(keep.term(), keep.index(), EntryType.NORMAL, null));
        ents.addAll(rest);
    }

    /** Appends entries, truncating any conflicting suffix. Entries must be contiguous. */
    public void append(List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        long first = firstIndex();
        long last = entries.get(0).index() + entries.size() - 1;
        if (last < first) {
            return; // entirely compacted already
        }
        List<Entry> es = entries;
        if (first > es.get(0).index()) {
            es = es.subList((int) (first - es.get(0).index()), es.size());
        }
        long off = es.get(0).index() - offset();
        if (off > ents.size()) {
            throw new RaftException("missing log entry: last " + lastIndex() + ", appending at " + es.get(0).index());
        }
        for (int k = 1; k < es.size(); k++) {
            if (es.get(k).index() != es.get(k - 1).index() + 1) {
                throw new IllegalArgumentException("non-contiguous entries");
            }
        }
        while (ents.size() > off) {
            ents.remove(ents.size() - 1);
        }
        ents.addAll(es);
    }
}
