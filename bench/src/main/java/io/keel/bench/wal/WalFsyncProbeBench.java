package io.keel.bench.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
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
 * Context for {@link WalAppendBench}: the raw latency of this disk for a 256-byte write + fdatasync
 * (FileChannel.force(false)) into a preallocated, zero-filled file, i.e. the floor under one group commit.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(1)
public class WalFsyncProbeBench {
  private static final long FILE_BYTES = 16L << 20;
  private final ByteBuffer record = ByteBuffer.allocateDirect(256);
  private Path file;
  private FileChannel ch;
  private long position;

  @Setup(Level.Trial)
  public void open() throws IOException {
    Path base = Path.of(System.getProperty("keel.bench.dir", System.getProperty("java.io.tmpdir")));
    file = Files.createTempFile(base, "keel-fsync-probe", ".bin");
    ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
    for (long p = 0; p < FILE_BYTES; p += zeros.capacity()) {
      zeros.clear();
      ch.write(zeros, p);
    }
    ch.force(true);
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    ch.close();
    Files.deleteIfExists(file);
  }

  @Benchmark
  public void write256AndFdatasync() throws IOException {
    record.clear();
    ch.write(record, position);
    position = (position + 256) % FILE_BYTES;
    ch.force(false);
  }
}
