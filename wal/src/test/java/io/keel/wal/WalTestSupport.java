package io.keel.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Shared helpers: deterministic payloads and small-segment options so tests roll segments quickly. */
final class WalTestSupport {
  static final long SMALL_SEGMENT_BYTES = 16 << 10;

  private WalTestSupport() {}

  static WalOptions small(Path dir) {
    return WalOptions.of(dir).segmentBytes(SMALL_SEGMENT_BYTES).maxRecordBytes(4 << 10).maxBatchBytes(8 << 10)
        .maxMetadataBytes(256).metadata("cluster-1/member-7".getBytes());
  }

  /** Payload determined by (index, term) so a reader can check an entry is intact. */
  static byte[] payload(long index, long term, int bytes) {
    SplittableRandom r = new SplittableRandom(index * 1_000_003L + term);
    byte[] b = new byte[bytes];
    for (int i = 0; i < bytes; i++) {
      b[i] = (byte) r.nextInt(256);
    }
    if (bytes >= 8) {
      ByteBuffer.wrap(b).putLong(0, index);
    }
    return b;
  }

  static WalEntry entry(long index, long term) {
    return new WalEntry(index, term, payload(index, term, 100));
  }

  static List<WalEntry> entries(long from, long to, long term) {
    List<WalEntry> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(entry(i, term));
    }
    return out;
  }

  static Recovered reopen(WalOptions o) throws IOException {
    try (Wal w = Wal.open(o)) {
      return w.recovered();
    }
  }
}
