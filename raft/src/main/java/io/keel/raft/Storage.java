package io.keel.raft;

import java.util.List;

/**
 * Read view of the durable log, as Raft sees it (etcd-io/raft's Storage). Raft only reads through this
 * interface; the application writes to its storage when it persists a {@link Ready}. Implementations must
 * throw {@link CompactedException} / {@link UnavailableException} for out-of-range indexes.
 */
public interface Storage {
    InitialState initialState();

    /** Entries in [lo, hi), at least one if any exist, then as many as fit in maxBytes. */
    List<Entry> entries(long lo, long hi, long maxBytes);

    /** Term of entry i; valid for i in [firstIndex()-1, lastIndex()]. */
    long term(long i);

    long firstIndex();

    long lastIndex();

    Snapshot snapshot();
}
