package io.keel.wal;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads every segment in order on open, repairs a torn tail of the last one, and refuses anything else. */
final class Recovery {
  private static final Logger log = LoggerFactory.getLogger(Recovery.class);

  private Recovery() {}

  /** Result of reading an existing log; {@code tailOffset} is where the next record goes in the last segment. */
  record Result(Recovered recovered, List<Segments.Info> segments, long tailOffset) {}

  /** Returns null when the directory holds no segment (a new log). */
  static Result run(Path dir) throws IOException {
    deleteSpares(dir);
    List<Segments.Info> segments = Segments.list(dir);
    if (segments.isEmpty()) {
      log.info("WAL {}: no segments, starting a new log", dir);
      return null;
    }
    for (int k = 1; k < segments.size(); k++) {
      Segments.Info prev = segments.get(k - 1);
      Segments.Info cur = segments.get(k);
      if (cur.seq() != prev.seq() + 1) {
        throw new WalCorruptionException(cur.path(), -1, "sequence " + cur.seq() + " follows " + prev.seq()
            + " (missing segment " + (prev.seq() + 1) + ")");
      }
    }
    LogReplay replay = new LogReplay();
    long tail = -1;
    for (int k = 0; k < segments.size(); k++) {
      Segments.Info info = segments.get(k);
      boolean last = k == segments.size() - 1;
      tail = readSegment(info, k == 0, last, replay);
    }
    Recovered r = replay.finish();
    log.info("WAL {}: recovered {} segment(s), snapshot {}, {} entries up to index {}, hard state {}", dir,
        segments.size(), r.snapshotMarker(), r.entries().size(), r.lastIndex(), r.hardState());
    return new Result(r, segments, tail);
  }

  private static long readSegment(Segments.Info info, boolean first, boolean last, LogReplay replay)
      throws IOException {
    SegmentScanner.Result res;
    try (FileChannel ch = FileChannel.open(info.path(), StandardOpenOption.READ)) {
      long size = ch.size();
      if (size > Integer.MAX_VALUE) {
        throw new WalCorruptionException(info.path(), -1, "segment of " + size + " bytes is larger than 2 GiB");
      }
      MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
      Segments.verifyHeader(info, buf, size);
      replay.beginSegment(info, first);
      res = SegmentScanner.scan(info, buf, (int) size, last, (rec, off) -> replay.apply(rec, info.path(), off));
      replay.endSegment(info);
    }
    if (res.tornReason() != null) {
      log.warn("WAL {}: torn tail at byte offset {} ({}); zeroing {} byte(s) [{}, {}) - a crash mid-write, no "
          + "acknowledged data is lost", info.path(), res.validEnd(), res.tornReason(),
          res.dirtyEnd() - res.validEnd(), res.validEnd(), res.dirtyEnd());
      try (FileChannel ch = FileChannel.open(info.path(), StandardOpenOption.WRITE)) {
        Segments.zeroFill(ch, res.validEnd(), res.dirtyEnd() - res.validEnd());
        ch.force(false);
      }
    }
    return res.validEnd();
  }

  private static void deleteSpares(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (p.getFileName().toString().endsWith(Segments.SPARE_SUFFIX)) {
          log.info("WAL {}: deleting unused preallocated file {}", dir, p.getFileName());
          Files.delete(p);
        }
      }
    }
  }
}
