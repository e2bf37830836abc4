package io.keel.bench.raft;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Committed proposals per second through three in-memory Raft cores (no I/O, no network): the raw cost of
 * the consensus state machine. Each invocation proposes 1 or 64 entries of {@code payloadBytes} and
 * drives the cluster until all of them are committed and applied on the leader.
 * Run: {@code bench/jmh RaftCore -f 1 -wi 2 -i 3}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RaftCoreBench {
    @Param({"16", "256"})
    public int payloadBytes;

    private InMemoryRaftCluster cluster;
    private byte[] payload;

    @Setup(Level.Trial)
    public void setup() {
        cluster = new InMemoryRaftCluster(3, 256, 1 << 20);
        payload = new byte[payloadBytes];
    }

    /** One proposal per round trip (no batching): ops/s = committed proposals/s. */
    @Benchmark
    public long proposeOneAndCommit() {
        return proposeAndCommit(1);
    }

    /** 64 proposals then drive to commit (Raft batches them per message): ops/s = committed proposals/s. */
    @Benchmark
    @OperationsPerInvocation(64)
    public long propose64AndCommit() {
        return proposeAndCommit(64);
    }

    private long proposeAndCommit(int batch) {
        long target = cluster.leaderApplied() + batch;
        for (int i = 0; i < batch; i++) {
            cluster.leader().propose(payload);
        }
        cluster.stabilize();
        if (cluster.leaderApplied() < target) {
            throw new IllegalStateException("proposals not committed: " + cluster.leaderApplied() + " < " + target);
        }
        return target;
    }
}
