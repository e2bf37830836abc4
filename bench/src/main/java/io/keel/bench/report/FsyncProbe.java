package io.keel.bench.report;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.HdrHistogram.Histogram;

/**
 * Measures how long the disk takes to make a small write durable (write 4 KiB, then {@code force}), the
 * cost that bounds a consensus store's commit latency. Reported with benchmark results so numbers from
 * different machines can be put in context. Bounded in both iterations and time.
 */
public final class FsyncProbe {

  /** Result: latencies of write+fsync in milliseconds. */
  public record Result(int samples, double p50Ms, double p99Ms, double meanMs, double maxMs) {
    public double fsyncsPerSecond() {
      return meanMs <= 0 ? 0 : 1000.0 / meanMs;
    }
  }

  private static final int BLOCK_BYTES = 4096;

  private FsyncProbe() {}

  /**
   * Runs the probe in a scratch file inside {@code dir} (deleted afterwards).
   *
   * @param iterations maximum write+fsync rounds (1..100000)
   * @param maxMillis stop earlier once this much time has passed
   */
  public static Result run(Path dir, int iterations, long maxMillis) throws IOException {
    if (iterations < 1 || iterations > 100_000) {
      throw new IllegalArgumentException("iterations must be in 1..100000: " + iterations);
    }
    Files.createDirectories(dir);
    Path file = Files.createTempFile(dir, "fsync-probe", ".bin");
    Histogram h = new Histogram(3_600_000_000_000L, 3);
    long deadline = System.nanoTime() + maxMillis * 1_000_000L;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer block = ByteBuffer.allocateDirect(BLOCK_BYTES);
      for (int i = 0; i < iterations && System.nanoTime() < deadline; i++) {
        block.clear();
        block.putLong(0, i);
        long t0 = System.nanoTime();
        ch.write(block, (long) (i % 64) * BLOCK_BYTES);
        ch.force(false);
        h.recordValue(System.nanoTime() - t0);
      }
    } finally {
      Files.deleteIfExists(file);
    }
    return new Result((int) h.getTotalCount(), h.getValueAtPercentile(50) / 1e6,
        h.getValueAtPercentile(99) / 1e6, h.getMean() / 1e6, h.getMaxValue() / 1e6);
  }
}
