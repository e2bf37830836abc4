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
 * CPU time and heap allocation per applied put on the store's writer thread, group apply as the Raft loop does it
 * ({@code entriesPerReady} puts per group): a plain put (no previous value read: create_revision and version come
 * from the key index) against the same put with {@code prev_kv=true}, which makes the store read the key's
 * previous value from RocksDB as every put did before — so the difference is the cost of that read, measured in
 * one process with the two modes alternating round by round (a shared, busy machine distorts both alike). Keys and
 * values as the kv suite's: 8-byte keys over 100,000, 256-byte values, no fsync (the server's store setting).
 *
 * <p>{@code java -cp "bench/target/classes:bench/target/lib/*" io.keel.bench.kv.PutPrevReadProbe [entriesPerReady]
 * [putsPerRound] [rounds]}
 */
public final class PutPrevReadProbe {
  private PutPrevReadProbe() {}

  public static void main(String[] args) throws IOException {
    int perReady = args.length > 0 ? Integer.parseInt(args[0]) : 32;
    int perRound = args.length > 1 ? Integer.parseInt(args[1]) : 50_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    if (perReady < 1 || perReady > 100_000 || perRound < perReady || perRound > 10_000_000 || rounds < 1
        || rounds > 100) {
      throw new IllegalArgumentException("usage: PutPrevReadProbe [entriesPerReady 1..100000] "
          + "[putsPerRound >= entriesPerReady, <= 10M] [rounds 1..100]");
    }
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    Path base = Files.createTempDirectory("put-prev-read-probe");
    try (MvccStore plain = MvccStore.open(MvccStore.Options.of(base.resolve("plain")).syncWrites(false));
        MvccStore prev = MvccStore.open(MvccStore.Options.of(base.resolve("prev")).syncWrites(false))) {
      SplittableRandom rnd = new SplittableRandom(1);
      byte[] value = new byte[256];
      long[] index = {0, 0};
      for (int w = 0; w < 2; w++) { // warm-up (JIT) and fill the key space in both stores
        run(plain, false, perReady, perRound, rnd, value, index, 0);
        run(prev, true, perReady, perRound, rnd, value, index, 1);
      }
      System.out.printf(Locale.ROOT, "entries per Ready %d, %d puts per round, %d rounds%n", perReady, perRound,
          rounds);
      double[] cpu = new double[2];
      double[] alloc = new double[2];
      for (int r = 1; r <= rounds; r++) {
        for (int mode = 0; mode < 2; mode++) {
          long c0 = mx.getThreadCpuTime(tid);
          long a0 = mx.getThreadAllocatedBytes(tid);
          run(mode == 0 ? plain : prev, mode == 1, perReady, perRound, rnd, value, index, mode);
          double cpuUs = (mx.getThreadCpuTime(tid) - c0) / 1e3 / perRound;
          double allocB = (double) (mx.getThreadAllocatedBytes(tid) - a0) / perRound;
          cpu[mode] += cpuUs;
          alloc[mode] += allocB;
          System.out.printf(Locale.ROOT, "round %d %-7s cpu %.2f us/put  alloc %.0f B/put%n", r,
              mode == 0 ? "plain" : "prev_kv", cpuUs, allocB);
        }
      }
      System.out.printf(Locale.ROOT, "mean   plain cpu %.2f us/put alloc %.0f B/put | prev_kv cpu %.2f us/put alloc "
          + "%.0f B/put | plain/prev_kv cpu %.2f%n", cpu[0] / rounds, alloc[0] / rounds, cpu[1] / rounds,
          alloc[1] / rounds, cpu[0] / cpu[1]);
    } finally {
      try (Stream<Path> files = Files.walk(base)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void run(MvccStore s, boolean prevKv, int perReady, int puts, SplittableRandom rnd, byte[] value,
      long[] index, int which) {
    for (int done = 0; done < puts; done += perReady) {
      s.beginGroup();
      for (int i = 0; i < perReady && done + i < puts; i++) {
        rnd.nextBytes(value);
        String key = String.format(Locale.ROOT, "%08d", rnd.nextInt(100_000));
        s.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFrom(value))
            .setPrevKv(prevKv).build(), ++index[which]);
      }
      s.commitGroup();
    }
  }
}
