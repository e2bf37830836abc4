package io.keel.raft;

import java.util.List;
import java.util.Objects;

/**
 * An immutable Raft message. Fields unused by a given {@link MessageType} are zero / empty / null (snapshot).
 * Build with {@link #builder(MessageType)}; derive variants with {@link #toBuilder()}.
 */
public record Message(MessageType type, long to, long from, long term, long logTerm, long index,
                      List<Entry> entries, long commit, Snapshot snapshot, boolean reject, long rejectHint,
                      byte[] context) {
    private static final byte[] EMPTY = new byte[0];

    public Message {
        Objects.requireNonNull(type, "type");
        entries = entries == null ? List.of() : List.copyOf(entries);
        context = context == null || context.length == 0 ? EMPTY : context.clone();
        if (to < 0 || from < 0 || term < 0 || logTerm < 0 || index < 0 || commit < 0 || rejectHint < 0) {
            throw new IllegalArgumentException("negative field in message of type " + type);
        }
    }

    @Override
    public byte[] context() {
        return context.clone();
    }

    public int contextLength() {
        return context.length;
    }

    public static Builder builder(MessageType type) {
        return new Builder(type);
    }

    public Builder toBuilder() {
        Builder b = new Builder(type);
        b.to = to;
        b.from = from;
        b.term = term;
        b.logTerm = logTerm;
        b.index = index;
        b.entries = entries;
        b.commit = commit;
        b.snapshot = snapshot;
        b.reject = reject;
        b.rejectHint = rejectHint;
        b.context = context;
        return b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Message m && m.type == type && m.to == to && m.from == from && m.term == term
                && m.logTerm == logTerm && m.index == index && m.entries.equals(entries) && m.commit == commit
                && Objects.equals(m.snapshot, snapshot) && m.reject == reject && m.rejectHint == rejectHint
                && java.util.Arrays.equals(m.context, context);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, to, from, term, logTerm, index, entries, commit, reject, rejectHint);
    }

    @Override
    public String toString() {
        return type + "{" + from + "->" + to + " t" + term + " lt" + logTerm + " i" + index + " c" + commit
                + (entries.isEmpty() ? "" : " n" + entries.size()) + (reject ? " REJ hint" + rejectHint : "")
                + (snapshot != null ? " snap@" + snapshot.metadata().index() : "") + "}";
    }

    /** Mutable builder; not thread-safe. */
    public static final class Builder {
        private final MessageType type;
        private long to;
        private long from;
        private long term;
        private long logTerm;
        private long index;
        private List<Entry> entries = List.of();
        private long commit;
        private Snapshot snapshot;
        private boolean reject;
        private long rejectHint;
        private byte[] context = EMPTY;

        private Builder(MessageType type) {
            this.type = type;
        }

        public Builder to(long v) { this.to = v; return this; }
        public Builder from(long v) { this.from = v; return this; }
        public Builder term(long v) { this.term = v; return this; }
        public Builder logTerm(long v) { this.logTerm = v; return this; }
        public Builder index(long v) { this.index = v; return this; }
        public Builder entries(List<Entry> v) { this.entries = v; return this; }
        public Builder commit(long v) { this.commit = v; return this; }
        public Builder snapshot(Snapshot v) { this.snapshot = v; return this; }
        public Builder reject(boolean v) { this.reject = v; return this; }
        public Builder rejectHint(long v) { this.rejectHint = v; return this; }
        public Builder context(byte[] v) { this.context = v; return this; }

        public Message build() {
            return new Message(type, to, from, term, logTerm, index, entries, commit, snapshot, reject,
                    rejectHint, context);
        }
    }
}
