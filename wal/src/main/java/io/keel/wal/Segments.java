package io.keel.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Segment files: names, the fixed header, directory listing and fsync helpers.
 *
 * <p>Name: {@code <sequence>-<firstIndex>.wal}, both 16 lower-case hex digits, e.g.
 * {@code 0000000000000001-0000000000000001.wal}. {@code firstIndex} is the index the segment's first new entry
 * would have (last index + 1 when it was started). Header (40 bytes): magic {@code "KEELWAL\0"}, format version
 * (int), reserved (int, 0), sequence (long), firstIndex (long), CRC32C of the preceding 32 bytes (int), 4 zero
 * bytes. Records start right after it.
 */
final class Segments {
  static final int HEADER_BYTES = 40;
  static final long MAGIC = 0x4B45454C57414C00L; // "KEELWAL\0"
  static final int FORMAT_VERSION = 1;
  static final String SUFFIX = ".wal";
  static final String SPARE_SUFFIX = ".wal.spare";
  private static final Pattern NAME = Pattern.compile("([0-9a-f]{16})-([0-9a-f]{16})\\.wal");

  private Segments() {}

  /** A segment file as named on disk. */
  record Info(long seq, long firstIndex, Path path) {}

  static String name(long seq, long firstIndex) {
    return String.format("%016x-%016x%s", seq, firstIndex, SUFFIX);
  }

  static ByteBuffer header(long seq, long firstIndex) {
    ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES);
    b.putLong(MAGIC).putInt(FORMAT_VERSION).putInt(0).putLong(seq).putLong(firstIndex);
    b.putInt(headerCrc(b)).putInt(0);
    return b.flip();
  }

  private static int headerCrc(ByteBuffer b) {
    CRC32C c = new CRC32C();
    c.update(b.duplicate().position(0).limit(32));
    return (int) c.getValue();
  }

  /** Verifies the header of {@code info}; throws {@link WalCorruptionException} naming the file. */
  static void verifyHeader(Info info, ByteBuffer buf, long fileBytes) {
    if (fileBytes < HEADER_BYTES) {
      throw new WalCorruptionException(info.path(), 0, "file is " + fileBytes + " bytes, shorter than the header");
    }
    if (buf.getLong(0) != MAGIC) {
      throw new WalCorruptionException(info.path(), 0, "bad magic " + Long.toHexString(buf.getLong(0)));
    }
    if (buf.getInt(32) != headerCrc(buf)) {
      throw new WalCorruptionException(info.path(), 32, "segment header CRC32C mismatch");
    }
    int version = buf.getInt(8);
    if (version != FORMAT_VERSION) {
      throw new WalCorruptionException(info.path(), 8, "unsupported format version " + version);
    }
    if (buf.getLong(16) != info.seq() || buf.getLong(24) != info.firstIndex()) {
      throw new WalCorruptionException(info.path(), 16, "header says sequence " + buf.getLong(16)
          + " firstIndex " + buf.getLong(24) + " but the file name says " + info.seq() + "/" + info.firstIndex());
    }
  }

  /** Lists segment files sorted by sequence; a {@code .wal} file with a malformed name is refused. */
  static List<Info> list(Path dir) throws IOException {
    List<Info> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String n = p.getFileName().toString();
        if (!n.endsWith(SUFFIX)) {
          continue;
        }
        Matcher m = NAME.matcher(n);
        if (!m.matches()) {
          throw new WalCorruptionException(p, -1, "file name is not <seq>-<firstIndex>.wal in 16-digit hex");
        }
        out.add(new Info(Long.parseUnsignedLong(m.group(1), 16), Long.parseUnsignedLong(m.group(2), 16), p));
      }
    }
    out.sort(Comparator.comparingLong(Info::seq));
    return out;
  }

  static void fsyncDir(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /** Writes {@code length} zero bytes starting at {@code from} (1 MiB chunks). */
  static void zeroFill(FileChannel ch, long from, long length) throws IOException {
    ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(1 << 20, Math.max(1, length)));
    long pos = from;
    long end = from + length;
    while (pos < end) {
      zeros.clear().limit((int) Math.min(zeros.capacity(), end - pos));
      while (zeros.hasRemaining()) {
        pos += ch.write(zeros, pos);
      }
    }
  }
}
