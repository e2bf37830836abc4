package io.keel.bench.kv;

import com.google.protobuf.ByteString;
import io.keel.kvstore.MvccStore;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * MVCC store put and range with 1M keys (32-byte keys like {@code /registry/pods/ns-000/pod-000000}, 128-byte
 * values) on RocksDB without fsync. The setup also measures the heap cost per key (used heap after GC, before
 * and after loading) and prints it with the index's own exact accounting.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MvccStoreBench {
  @Param("1000000")
  public int keys;

  private Path dir;
  private MvccStore store;
  private ByteString value;

  static ByteString key(int i) {
    return ByteString.copyFrom(String.format(Locale.ROOT, "/registry/pods/ns-%03d/pod-%06d", i % 1000, i),
        StandardCharsets.US_ASCII);
  }

  @Setup(Level.Trial)
  public void setup() throws IOException {
    dir = Files.createTempDirectory("kvbench");
    byte[] v = new byte[128];
    ThreadLocalRandom.current().nextBytes(v);
    value = ByteString.copyFrom(v);
    long before = usedHeapAfterGc();
    store = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false));
    long start = System.nanoTime();
    for (int i = 0; i < keys; i++) {
      // insert in a scrambled order (not sorted): i * an odd non-multiple of 5 mod 10^6 is a permutation
      int k = (int) ((i * 387_420_489L) % keys);
      store.put(PutRequest.newBuilder().setKey(key(k)).setValue(value).build(), 0);
    }
    long loadMs = (System.nanoTime() - start) / 1_000_000;
    long after = usedHeapAfterGc();
    System.out.printf(Locale.ROOT, "%n[kv] loaded %d keys in %d ms; heap per key: %.1f B "
            + "(GC-measured, whole store), %.1f B (index exact accounting, incl. 32 key bytes)%n",
        store.keyCount(), loadMs, (double) (after - before) / keys,
        (double) store.indexHeapBytes() / keys);
  }

  private static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    store.close();
    try (Stream<Path> w = Files.walk(dir)) {
      w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Update of a random existing key (a new revision, history kept). */
  @Benchmark
  public long put() {
    int k = ThreadLocalRandom.current().nextInt(keys);
    return store.put(PutRequest.newBuilder().setKey(key(k)).setValue(value).build(), 0).getHeader().getRevision();
  }

  /** Point read of a random key at the current revision. */
  @Benchmark
  public int rangeOneKey() {
    int k = ThreadLocalRandom.current().nextInt(keys);
    return store.range(RangeRequest.newBuilder().setKey(key(k)).build()).getKvsCount();
  }

  /** A namespace listing: ~1000 keys per prefix, limit 100 (count still covers the whole prefix). */
  @Benchmark
  public long rangePrefixLimit100() {
    int ns = ThreadLocalRandom.current().nextInt(1000);
    String p = String.format(Locale.ROOT, "/registry/pods/ns-%03d/", ns);
    String end = String.format(Locale.ROOT, "/registry/pods/ns-%03d0", ns);
    return store.range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(p))
        .setRangeEnd(ByteString.copyFromUtf8(end)).setLimit(100).build()).getCount();
  }

  /** Count of all 1M keys (index only, no value reads). */
  @Benchmark
  public long countAll() {
    ByteString zero = ByteString.copyFrom(new byte[] {0});
    return store.range(RangeRequest.newBuilder().setKey(zero).setRangeEnd(zero).setCountOnly(true).build())
        .getCount();
  }
}
