package io.keel.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** The segment being appended to. Owned by the writer thread (or by {@link Wal#open} before it starts). */
final class ActiveSegment implements AutoCloseable {
  private final Segments.Info info;
  private final FileChannel ch;
  private final long sizeBytes;
  private long position;

  private ActiveSegment(Segments.Info info, FileChannel ch, long sizeBytes, long position) {
    this.info = info;
    this.ch = ch;
    this.sizeBytes = sizeBytes;
    this.position = position;
  }

  static ActiveSegment openExisting(Segments.Info info, long position) throws IOException {
    FileChannel ch = FileChannel.open(info.path(), StandardOpenOption.READ, StandardOpenOption.WRITE);
    return new ActiveSegment(info, ch, ch.size(), position);
  }

  /**
   * Turns a zero-filled spare into segment (seq, firstIndex): header + preamble written and fsynced BEFORE the
   * rename, then the directory is fsynced, so a segment under its final name always has a valid start.
   */
  static ActiveSegment create(Path dir, Path spare, long seq, long firstIndex, byte[] preamble) throws IOException {
    Path target = dir.resolve(Segments.name(seq, firstIndex));
    FileChannel ch = FileChannel.open(spare, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      long size = ch.size();
      writeFully(ch, Segments.header(seq, firstIndex), 0);
      writeFully(ch, ByteBuffer.wrap(preamble), Segments.HEADER_BYTES);
      ch.force(false);
      Files.move(spare, target, StandardCopyOption.ATOMIC_MOVE);
      Segments.fsyncDir(dir);
      return new ActiveSegment(new Segments.Info(seq, firstIndex, target), ch, size,
          Segments.HEADER_BYTES + preamble.length);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
    long pos = at;
    while (b.hasRemaining()) {
      pos += ch.write(b, pos);
    }
  }

  Segments.Info info() {
    return info;
  }

  long remainingBytes() {
    return sizeBytes - position;
  }

  void write(ByteBuffer b) throws IOException {
    int n = b.remaining();
    if (n > remainingBytes()) {
      throw new IllegalStateException("write of " + n + " bytes past the end of " + info.path());
    }
    writeFully(ch, b, position);
    position += n;
  }

  /** fdatasync: the file is preallocated, so its size and block map do not change on append. */
  void force() throws IOException {
    ch.force(false);
  }

  @Override
  public void close() throws IOException {
    ch.close();
  }
}
