package io.keel.wal;

import java.nio.ByteBuffer;

/**
 * Reads the records of one segment and decides where its valid data ends.
 *
 * <p>Rules: a zero length field followed only by zeros is the end of data. A record that is incomplete, has an
 * impossible length, unknown type or a CRC mismatch is a torn tail only in the LAST segment and only when no
 * valid record frame exists anywhere after it (so it was the last thing being written when the process or machine
 * died); anything else is refused with a {@link WalCorruptionException} naming file and offset.
 */
final class SegmentScanner {
  private SegmentScanner() {}

  /** Receives each valid record with its byte offset. */
  interface Sink {
    void accept(Records.Record record, int offset);
  }

  /**
   * @param validEnd offset just after the last valid record
   * @param tornReason null when the segment ends cleanly, else why the tail was judged torn
   * @param dirtyEnd offset just after the last non-zero byte of the torn tail (== validEnd when clean)
   */
  record Result(int validEnd, String tornReason, int dirtyEnd) {}

  static Result scan(Segments.Info info, ByteBuffer buf, int size, boolean last, Sink sink) {
    int off = Segments.HEADER_BYTES;
    while (true) {
      if (off >= size) {
        return new Result(off, null, off);
      }
      boolean zeroLength = size - off < 4 || buf.getInt(off) == 0;
      if (zeroLength && firstNonZero(buf, off, size) < 0) {
        return new Result(off, null, off);
      }
      String problem = Records.checkFrame(buf, off, size);
      if (problem == null) {
        Records.Record record;
        try {
          record = Records.decode(buf, off);
        } catch (IllegalArgumentException e) {
          throw new WalCorruptionException(info.path(), off, "record passes CRC but cannot be decoded: "
              + e.getMessage());
        }
        sink.accept(record, off);
        off += Records.FRAME_HEADER_BYTES + buf.getInt(off);
        continue;
      }
      if (zeroLength) {
        problem = "zero length field but non-zero bytes at offset " + firstNonZero(buf, off, size);
      }
      if (!last) {
        throw new WalCorruptionException(info.path(), off, problem + " (in a segment that is not the last one)");
      }
      int later = findValidFrame(buf, off + 1, size);
      if (later >= 0) {
        throw new WalCorruptionException(info.path(), off, problem + "; a valid record follows at offset " + later
            + ", so this is not a torn tail");
      }
      return new Result(off, problem, lastNonZero(buf, off, size) + 1);
    }
  }

  /** First offset in [from, to) holding a non-zero byte, or -1. */
  static int firstNonZero(ByteBuffer buf, int from, int to) {
    int i = from;
    for (; i + 8 <= to; i += 8) {
      if (buf.getLong(i) != 0) {
        break;
      }
    }
    for (; i < to; i++) {
      if (buf.get(i) != 0) {
        return i;
      }
    }
    return -1;
  }

  private static int lastNonZero(ByteBuffer buf, int from, int to) {
    int i = to;
    for (; i - 8 >= from; i -= 8) {
      if (buf.getLong(i - 8) != 0) {
        break;
      }
    }
    for (; i > from; i--) {
      if (buf.get(i - 1) != 0) {
        return i - 1;
      }
    }
    return from - 1;
  }

  /** First offset >= from where a complete frame with a matching CRC starts, or -1. */
  private static int findValidFrame(ByteBuffer buf, int from, int size) {
    for (int p = from; p + Records.FRAME_HEADER_BYTES + 1 <= size; p++) {
      int length = buf.getInt(p);
      if (length <= 0 || (long) p + Records.FRAME_HEADER_BYTES + length > size) {
        continue;
      }
      if (Records.knownType(buf.get(p + Records.FRAME_HEADER_BYTES)) && Records.checkFrame(buf, p, size) == null) {
        return p;
      }
    }
    return -1;
  }
}
