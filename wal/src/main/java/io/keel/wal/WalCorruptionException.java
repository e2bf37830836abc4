package io.keel.wal;

import java.nio.file.Path;

/**
 * The WAL refuses to open: data it cannot trust and must not skip (bad record followed by valid data, CRC
 * failure in a non-last segment, missing segment, unreadable header). The message names file and byte offset.
 */
public final class WalCorruptionException extends WalException {
  private static final long serialVersionUID = 1L;
  private final transient Path file;
  private final long offset;

  public WalCorruptionException(Path file, long offset, String reason) {
    super("WAL corrupt: " + file + " at byte offset " + offset + ": " + reason
        + " (refusing to open; restore the member from a peer or snapshot)");
    this.file = file;
    this.offset = offset;
  }

  public Path file() {
    return file;
  }

  /** Byte offset in {@link #file()} of the first byte that could not be trusted; -1 when the file as a whole. */
  public long offset() {
    return offset;
  }
}
