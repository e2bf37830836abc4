package io.keel.bench.kv;

import com.google.protobuf.ByteString;
import io.keel.kvstore.MvccStore;
import io.keel.proto.etcdserverpb.PutRequest;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * CPU time and heap allocation per applied put on the store's writer thread, entry by entry (one RocksDB write
 * each) against group apply (one write per group of {@code entriesPerReady}, as the Raft loop does per Ready).
 * Measured with the thread's own CPU clock and allocation counter, alternating the two modes round by round,
 * so a shared, busy machine distorts both alike (wall time would not be meaningful there). The put shape is the
 * kv suite's: 8-byte keys over 100,000, 256-byte values, no fsync (the server's store setting).
 *
 * <p>{@code java -cp "bench/target/classes:bench/target/lib/*" io.keel.bench.kv.GroupApplyProbe [entriesPerReady]
 * [putsPerRound] [rounds]}
 */
public final class GroupApplyProbe {
  private GroupApplyProbe() {}

  public static void main(String[] args) throws IOException {
    int perReady = args.length > 0 ? Integer.parseInt(args[0]) : 32;
    int perRound = args.length > 1 ? Integer.parseInt(args[1]) : 50_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    if (perReady < 1 || perReady > 100_000 || perRound < perReady || perRound > 10_000_000 || rounds < 1
        || rounds > 100) {
      throw new IllegalArgumentException("usage: GroupApplyProbe [entriesPerReady 1..100000] "
          + "[putsPerRound >= entriesPerReady, <= 10M] [rounds 1..100]");
    }
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    Path base = Files.createTempDirectory("group-apply-probe");
    try (MvccStore single = MvccStore.open(MvccStore.Options.of(base.resolve("single")).syncWrites(false));
        MvccStore grouped = MvccStore.open(MvccStore.Options.of(base.resolve("group")).syncWrites(false))) {
      SplittableRandom rnd = new SplittableRandom(1);
      byte[] value = new byte[256];
      long[] index = {0, 0};
      // warm-up: the same work as one round in each mode, twice (JIT)
      for (int w = 0; w < 2; w++) {
        run(single, false, perReady, perRound, rnd, value, index, 0);
        run(grouped, true, perReady, perRound, rnd, value, index, 1);
      }
      System.out.printf(Locale.ROOT, "entries per Ready %d, %d puts per round, %d rounds%n", perReady, perRound,
          rounds);
      double[] cpu = new double[2];
      double[] alloc = new double[2];
      for (int r = 1; r <= rounds; r++) {
        for (int mode = 0; mode < 2; mode++) {
          MvccStore s = mode == 0 ? single : grouped;
          long c0 = mx.getThreadCpuTime(tid);
          long a0 = mx.getThreadAllocatedBytes(tid);
          run(s, mode == 1, perReady, perRound, rnd, value, index, mode);
          double cpuUs = (mx.getThreadCpuTime(tid) - c0) / 1e3 / perRound;
          double allocB = (double) (mx.getThreadAllocatedBytes(tid) - a0) / perRound;
          cpu[mode] += cpuUs;
          alloc[mode] += allocB;
          System.out.printf(Locale.ROOT, "round %d %-6s cpu %.2f us/put  alloc %.0f B/put%n", r,
              mode == 0 ? "single" : "group", cpuUs, allocB);
        }
      }
      System.out.printf(Locale.ROOT, "mean   single cpu %.2f us/put alloc %.0f B/put | group cpu %.2f us/put alloc "
          + "%.0f B/put | group/single cpu %.2f%n", cpu[0] / rounds, alloc[0] / rounds, cpu[1] / rounds,
          alloc[1] / rounds, cpu[1] / cpu[0]);
    } finally {
      try (Stream<Path> files = Files.walk(base)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void run(MvccStore s, boolean group, int perReady, int puts, SplittableRandom rnd, byte[] value,
      long[] index, int which) {
    for (int done = 0; done < puts; done += perReady) {
      if (group) {
        s.beginGroup();
      }
      for (int i = 0; i < perReady && done + i < puts; i++) {
        rnd.nextBytes(value);
        String key = String.format(Locale.ROOT, "%08d", rnd.nextInt(100_000));
        s.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFrom(value))
            .build(), ++index[which]);
      }
      if (group) {
        s.commitGroup();
      }
    }
  }
}
