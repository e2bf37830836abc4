package io.keel.raft.sim;

import io.keel.raft.Message;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Simulated network: per-link blocking (symmetric, asymmetric and partial partitions), random drop,
 * duplication and delay (which also reorders). Bounded: at most {@code maxInFlight} queued messages.
 */
final class SimNetwork {
    private record InFlight(long deliverAt, long seq, Message msg) {
    }

    private final PriorityQueue<InFlight> queue = new PriorityQueue<>(
            (a, b) -> a.deliverAt != b.deliverAt ? Long.compare(a.deliverAt, b.deliverAt) : Long.compare(a.seq, b.seq));
    private final SplittableRandom rnd;
    final boolean[][] blocked; // [from][to]
    double dropRate;
    double dupRate;
    int maxDelay = 1;
    private long seq;
    private final int maxInFlight;
    long dropped;

    SimNetwork(int nodes, SplittableRandom rnd, int maxInFlight) {
        this.blocked = new boolean[nodes + 1][nodes + 1];
        this.rnd = rnd;
        this.maxInFlight = maxInFlight;
    }

    void send(Message m, long now) {
        if (blocked[(int) m.from()][(int) m.to()] || (dropRate > 0 && rnd.nextDouble() < dropRate)
                || queue.size() >= maxInFlight) {
            dropped++;
            return;
        }
        queue.add(new InFlight(now + rnd.nextInt(maxDelay + 1), seq++, m));
        if (dupRate > 0 && rnd.nextDouble() < dupRate) {
            queue.add(new InFlight(now + rnd.nextInt(maxDelay + 1), seq++, m));
        }
    }

    /** Next message due at or before now, or null. Partitions are also applied at delivery time. */
    Message poll(long now) {
        while (!queue.isEmpty() && queue.peek().deliverAt <= now) {
            Message m = queue.poll().msg;
            if (!blocked[(int) m.from()][(int) m.to()]) {
                return m;
            }
            dropped++;
        }
        return null;
    }

    void healAll() {
        for (boolean[] row : blocked) {
            java.util.Arrays.fill(row, false);
        }
        dropRate = 0;
        dupRate = 0;
        maxDelay = 1;
    }

    void block(int from, int to, boolean b) {
        blocked[from][to] = b;
    }

    int inFlight() {
        return queue.size();
    }
}
