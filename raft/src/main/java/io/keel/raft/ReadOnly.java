package io.keel.raft;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Pending ReadIndex requests on a leader awaiting heartbeat acknowledgement from a quorum (SAFE mode). */
final class ReadOnly {
    /** One pending read: the original request, the commit index at receipt and who acked. */
    static final class Status {
        final Message req;
        final long index;
        final Set<Long> acks = new HashSet<>();

        Status(Message req, long index) {
            this.req = req;
            this.index = index;
        }
    }

    final ReadOnlyOption option;
    final Map<ByteBuffer, Status> pending = new HashMap<>();
    final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    final int maxPending;

    ReadOnly(ReadOnlyOption option, int maxPending) {
        this.option = option;
        this.maxPending = maxPending;
    }

    /** Returns false if the queue is full (request dropped) or the context is already pending. */
    boolean addRequest(long index, Message m) {
        ByteBuffer key = ByteBuffer.wrap(m.entries().get(0).data());
        if (pending.containsKey(key) || pending.size() >= maxPending) {
            return false;
        }
        pending.put(key, new Status(m, index));
        queue.addLast(key);
        return true;
    }

    Set<Long> recvAck(long id, byte[] context) {
        Status s = pending.get(ByteBuffer.wrap(context));
        if (s == null) {
            return null;
        }
        s.acks.add(id);
        return s.acks;
    }

    /** Removes and returns all requests up to and including the one with this context. */
    List<Status> advance(byte[] context) {
        ByteBuffer key = ByteBuffer.wrap(context);
        if (!pending.containsKey(key)) {
            return List.of();
        }
        List<Status> out = new ArrayList<>();
        while (!queue.isEmpty()) {
            ByteBuffer k = queue.pollFirst();
            out.add(pending.remove(k));
            if (k.equals(key)) {
                break;
            }
        }
        return out;
    }

    byte[] lastPendingContext() {
        if (queue.isEmpty()) {
            return null;
        }
        ByteBuffer b = queue.peekLast();
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    void clear() {
        pending.clear();
        queue.clear();
    }
}
