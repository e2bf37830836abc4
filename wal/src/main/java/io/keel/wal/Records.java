package io.keel.wal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Record framing: {@code [int length][int crc32c][byte type][payload]}, big-endian. {@code length} counts type +
 * payload, so it is always >= 1 and a zero length field marks the end of written data in a zero-filled segment.
 * The CRC32C covers the length field, the type byte and the payload.
 *
 * <p>Payloads: METADATA = opaque bytes; SNAPSHOT = index, term; BATCH = flags (bit 0: hard state present),
 * [term, vote, commit], entry count, then per entry index, term, data length, data. One append call is one
 * BATCH record, which is what makes entries and hard state of one write atomic.
 */
final class Records {
  static final int FRAME_HEADER_BYTES = 8;
  static final byte TYPE_METADATA = 1;
  static final byte TYPE_BATCH = 2;
  static final byte TYPE_SNAPSHOT = 3;
  private static final int ENTRY_OVERHEAD_BYTES = 8 + 8 + 4;
  private static final int BATCH_FIXED_BYTES = 1 + 24 + 4;

  private Records() {}

  /** Decoded record. */
  sealed interface Record permits Metadata, Snapshot, Batch {}

  record Metadata(byte[] data) implements Record {}

  record Snapshot(SnapshotMarker marker) implements Record {}

  /** {@code hardState} is null when the write carried none. */
  record Batch(List<WalEntry> entries, HardState hardState) implements Record {}

  static int maxPreambleBytes(int maxMetadataBytes) {
    return (FRAME_HEADER_BYTES + 1 + maxMetadataBytes) + (FRAME_HEADER_BYTES + 1 + 16)
        + (FRAME_HEADER_BYTES + 1 + BATCH_FIXED_BYTES);
  }

  static boolean knownType(byte type) {
    return type == TYPE_METADATA || type == TYPE_BATCH || type == TYPE_SNAPSHOT;
  }

  /** Framed size of a BATCH record; long so that absurd inputs cannot overflow before the bound check. */
  static long batchFrameBytes(List<WalEntry> entries) {
    long n = FRAME_HEADER_BYTES + 1L + BATCH_FIXED_BYTES;
    for (WalEntry e : entries) {
      n += ENTRY_OVERHEAD_BYTES + (long) e.data().length;
    }
    return n;
  }

  static byte[] encodeBatch(List<WalEntry> entries, HardState hs) {
    long size = batchFrameBytes(entries);
    ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(size));
    b.position(FRAME_HEADER_BYTES).put(TYPE_BATCH);
    b.put((byte) (hs != null ? 1 : 0));
    HardState h = hs != null ? hs : HardState.EMPTY;
    b.putLong(h.term()).putLong(h.vote()).putLong(h.commit());
    b.putInt(entries.size());
    for (WalEntry e : entries) {
      b.putLong(e.index()).putLong(e.term()).putInt(e.data().length).put(e.data());
    }
    return seal(b);
  }

  static byte[] encodeSnapshot(SnapshotMarker m) {
    ByteBuffer b = ByteBuffer.allocate(FRAME_HEADER_BYTES + 1 + 16);
    b.position(FRAME_HEADER_BYTES).put(TYPE_SNAPSHOT).putLong(m.index()).putLong(m.term());
    return seal(b);
  }

  static byte[] encodeMetadata(byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(FRAME_HEADER_BYTES + 1 + data.length);
    b.position(FRAME_HEADER_BYTES).put(TYPE_METADATA).put(data);
    return seal(b);
  }

  private static byte[] seal(ByteBuffer b) {
    if (b.hasRemaining()) {
      throw new IllegalStateException("record size miscomputed: " + b.remaining() + " bytes left");
    }
    byte[] a = b.array();
    int length = a.length - FRAME_HEADER_BYTES;
    ByteBuffer.wrap(a).putInt(0, length).putInt(4, crc(ByteBuffer.wrap(a), 0, length));
    return a;
  }

  /** CRC32C over the length field at {@code frameOffset} and the {@code length} bytes after the header. */
  static int crc(ByteBuffer buf, int frameOffset, int length) {
    CRC32C c = new CRC32C();
    c.update(buf.duplicate().position(frameOffset).limit(frameOffset + 4));
    int body = frameOffset + FRAME_HEADER_BYTES;
    c.update(buf.duplicate().limit(body + length).position(body));
    return (int) c.getValue();
  }

  /**
   * Checks the frame at {@code off} within {@code [0, limit)}; returns null when it is complete and its CRC
   * matches, else a short reason. Never throws on garbage.
   */
  static String checkFrame(ByteBuffer buf, int off, int limit) {
    if (limit - off < FRAME_HEADER_BYTES + 1) {
      return "incomplete frame header (" + (limit - off) + " bytes before end of segment)";
    }
    int length = buf.getInt(off);
    if (length <= 0) {
      return "invalid length field " + length;
    }
    if ((long) off + FRAME_HEADER_BYTES + length > limit) {
      return "length field " + length + " runs past end of segment";
    }
    byte type = buf.get(off + FRAME_HEADER_BYTES);
    if (!knownType(type)) {
      return "unknown record type " + type;
    }
    int stored = buf.getInt(off + 4);
    int actual = crc(buf, off, length);
    if (stored != actual) {
      return String.format("CRC32C mismatch (stored %08x, computed %08x)", stored, actual);
    }
    return null;
  }

  /** Decodes a frame already accepted by {@link #checkFrame}; throws IllegalArgumentException on bad payload. */
  static Record decode(ByteBuffer buf, int off) {
    int length = buf.getInt(off);
    ByteBuffer p = buf.duplicate().limit(off + FRAME_HEADER_BYTES + length).position(off + FRAME_HEADER_BYTES);
    byte type = p.get();
    try {
      switch (type) {
        case TYPE_METADATA: {
          byte[] d = new byte[p.remaining()];
          p.get(d);
          return new Metadata(d);
        }
        case TYPE_SNAPSHOT: {
          Snapshot s = new Snapshot(new SnapshotMarker(p.getLong(), p.getLong()));
          requireEmpty(p);
          return s;
        }
        case TYPE_BATCH:
          return decodeBatch(p);
        default:
          throw new IllegalArgumentException("unknown record type " + type);
      }
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("record payload shorter than its contents claim", e);
    }
  }

  private static Batch decodeBatch(ByteBuffer p) {
    byte flags = p.get();
    if ((flags & ~1) != 0) {
      throw new IllegalArgumentException("unknown batch flags " + flags);
    }
    HardState hs = new HardState(p.getLong(), p.getLong(), p.getLong());
    int count = p.getInt();
    if (count < 0 || (long) count * ENTRY_OVERHEAD_BYTES > p.remaining()) {
      throw new IllegalArgumentException("bad entry count " + count);
    }
    List<WalEntry> entries = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      long index = p.getLong();
      long term = p.getLong();
      int len = p.getInt();
      if (len < 0 || len > p.remaining()) {
        throw new IllegalArgumentException("bad entry data length " + len);
      }
      byte[] d = new byte[len];
      p.get(d);
      entries.add(new WalEntry(index, term, d));
    }
    requireEmpty(p);
    return new Batch(entries, (flags & 1) != 0 ? hs : null);
  }

  private static void requireEmpty(ByteBuffer p) {
    if (p.hasRemaining()) {
      throw new IllegalArgumentException(p.remaining() + " trailing bytes in record payload");
    }
  }
}
