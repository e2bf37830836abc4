package io.keel.bench.wal;

import io.keel.wal.Wal;
import io.keel.wal.WalEntry;
import io.keel.wal.WalOptions;
import io.keel.wal.WalQueueFullException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Group-committed WAL appends: each op appends one entry with a 256-byte payload and waits until it is fsynced.
 * With N concurrent appenders one fsync covers many appends; the records-per-fsync of each iteration is printed
 * from the WAL's own Micrometer meters. Files go to java.io.tmpdir (override with -Dkeel.bench.dir=...).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class WalAppendBench {
  private static final int PAYLOAD_BYTES = 256;
  private final Object indexLock = new Object();
  private final byte[] payload = new byte[PAYLOAD_BYTES];
  private Path dir;
  private Wal wal;
  private SimpleMeterRegistry registry;
  private long next;
  private double fsyncsAtStart;
  private double recordsAtStart;

  @Setup(Level.Trial)
  public void open() throws IOException {
    Path base = Path.of(System.getProperty("keel.bench.dir", System.getProperty("java.io.tmpdir")));
    dir = Files.createTempDirectory(base, "keel-wal-bench");
    registry = new SimpleMeterRegistry();
    wal = Wal.open(WalOptions.of(dir).meterRegistry(registry));
    next = wal.recovered().lastIndex() + 1;
    for (int i = 0; i < payload.length; i++) {
      payload[i] = (byte) (i * 31);
    }
  }

  @Setup(Level.Iteration)
  public void markIteration() {
    fsyncsAtStart = registry.get("keel.wal.fsyncs").counter().count();
    recordsAtStart = registry.get("keel.wal.fsync.records").summary().totalAmount();
  }

  @TearDown(Level.Iteration)
  public void reportIteration() {
    double fsyncs = registry.get("keel.wal.fsyncs").counter().count() - fsyncsAtStart;
    double records = registry.get("keel.wal.fsync.records").summary().totalAmount() - recordsAtStart;
    System.out.printf("%n  [wal] records=%.0f fsyncs=%.0f records/fsync=%.2f fsync mean=%.3f ms%n", records,
        fsyncs, fsyncs == 0 ? 0 : records / fsyncs,
        registry.get("keel.wal.fsync.latency").timer().mean(TimeUnit.MICROSECONDS) / 1000.0);
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    wal.close();
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private void appendOne() {
    while (true) {
      CompletableFuture<Void> f;
      synchronized (indexLock) { // index order must equal queue order; append() never blocks
        try {
          f = wal.append(List.of(new WalEntry(next, 1, payload)), null);
          next++;
        } catch (WalQueueFullException e) {
          f = null;
        }
      }
      if (f != null) {
        f.join();
        return;
      }
      Thread.onSpinWait();
    }
  }

  @Benchmark
  @Threads(1)
  public void append1Thread() {
    appendOne();
  }

  @Benchmark
  @Threads(16)
  public void append16Threads() {
    appendOne();
  }

  @Benchmark
  @Threads(256)
  public void append256Threads() {
    appendOne();
  }
}
