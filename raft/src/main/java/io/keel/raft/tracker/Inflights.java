package io.keel.raft.tracker;

/**
 * Sliding window of in-flight append messages to one follower, bounded by count and by bytes. Each slot
 * records the last index of a message and its payload bytes. Ring buffer; no allocation after creation.
 */
public final class Inflights {
    private final int capacity;
    private final long maxBytes;
    private final long[] index;
    private final long[] bytes;
    private int start;
    private int count;
    private long totalBytes;

    public Inflights(int capacity, long maxBytes) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("inflight capacity must be > 0");
        }
        this.capacity = capacity;
        this.maxBytes = maxBytes <= 0 ? Long.MAX_VALUE : maxBytes;
        this.index = new long[capacity];
        this.bytes = new long[capacity];
    }

    public Inflights copyEmpty() {
        return new Inflights(capacity, maxBytes);
    }

    public void add(long lastIndex, long sizeBytes) {
        if (full()) {
            throw new IllegalStateException("cannot add into a full inflights window");
        }
        int next = (start + count) % capacity;
        index[next] = lastIndex;
        bytes[next] = sizeBytes;
        count++;
        totalBytes += sizeBytes;
    }

    /** Frees all messages whose last index is <= to. */
    public void freeLE(long to) {
        while (count > 0 && index[start] <= to) {
            totalBytes -= bytes[start];
            start = (start + 1) % capacity;
            count--;
        }
        if (count == 0) {
            start = 0;
        }
    }

    public boolean full() {
        return count == capacity || totalBytes >= maxBytes;
    }

    public int count() {
        return count;
    }

    public long totalBytes() {
        return totalBytes;
    }

    public void reset() {
        start = 0;
        count = 0;
        totalBytes = 0;
    }
}
