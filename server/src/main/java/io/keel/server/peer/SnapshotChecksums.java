package io.keel.server.peer;

import io.keel.proto.peer.SnapshotFile;
import io.keel.proto.peer.SnapshotMeta;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * Per-file CRC32C of a snapshot's checkpoint files: recorded in its description when the snapshot is written, and
 * checked before the snapshot is used at start or sent to a follower, so a bit flipped on disk is found before it
 * spreads. Files are streamed through a bounded buffer. The cost is visible as the timer
 * {@code keel.snapshot.checksum.duration}, tagged by {@code phase} (write, start, send).
 */
public final class SnapshotChecksums {
  /** Read buffer per file pass. */
  public static final int BUFFER_BYTES = 64 * 1024;

  private SnapshotChecksums() {}

  /** The timer of one phase's checksum work. */
  public static Timer timer(MeterRegistry registry, String phase) {
    return Timer.builder("keel.snapshot.checksum.duration").tag("phase", phase)
        .description("computing or verifying snapshot files' CRC32C").register(registry);
  }

  /** The CRC32C of {@code file}'s bytes, streamed. */
  public static int crc32c(Path file) throws IOException {
    CRC32C crc = new CRC32C();
    byte[] buf = new byte[BUFFER_BYTES];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        crc.update(buf, 0, n);
      }
    }
    return (int) crc.getValue();
  }

  /**
   * Checks each file {@code meta} lists in {@code db}: present, of its recorded size and, when {@code contents}
   * and a CRC32C is recorded, of that checksum. Throws naming the first damaged file; returns how many files had
   * no recorded CRC32C (a snapshot written before they were kept), whose contents went unchecked.
   */
  public static int verify(Path db, SnapshotMeta meta, boolean contents) throws IOException {
    int unchecked = 0;
    for (SnapshotFile f : meta.getFilesList()) {
      Path p = db.resolve(f.getName());
      if (!Files.isRegularFile(p)) {
        throw new IOException("snapshot file " + p + " is missing");
      }
      long size = Files.size(p);
      if (size != f.getSizeBytes()) {
        throw new IOException("snapshot file " + p + " holds " + size + " bytes, " + f.getSizeBytes()
            + " expected (truncated or damaged)");
      }
      if (!f.hasCrc32C()) {
        unchecked++;
      } else if (contents && crc32c(p) != f.getCrc32C()) {
        throw new IOException("snapshot file " + p + " is corrupt (CRC32C mismatch)");
      }
    }
    return unchecked;
  }
}
