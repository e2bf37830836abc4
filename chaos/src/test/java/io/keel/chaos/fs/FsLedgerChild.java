package io.keel.chaos.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Run by FsLedgerTest in a child JVM with the ledger shim preloaded: writes and syncs files through the JDK the
 * way Keel does (a zero-filled segment written in place and fdatasynced, appends, files never synced).
 * Argument: the root directory, and "first" or "second" (the incarnation).
 */
public final class FsLedgerChild {
  private FsLedgerChild() {
  }

  public static void main(String[] args) throws IOException {
    Path root = Path.of(args[0]);
    if (args[1].equals("first")) {
      try (FileChannel ch = FileChannel.open(root.resolve("seg.wal"), StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.allocate(8192));
        ch.force(true);
        ch.write(utf8("rec1"), 0);
        ch.force(false);
        ch.write(utf8("rec2"), 4);
      }
      try (FileChannel ch = FileChannel.open(root.resolve("log.txt"), StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
        ch.write(utf8("abc"));
        ch.force(true);
        ch.write(utf8("def"));
      }
      Files.writeString(root.resolve("dirsynced.txt"), "y");
      try (FileChannel dir = FileChannel.open(root, StandardOpenOption.READ)) {
        dir.force(true);
      }
      Files.writeString(root.resolve("never.txt"), "x");
      Files.writeString(root.resolve("../outside.txt"), "untracked");
    } else {
      try (FileChannel ch = FileChannel.open(root.resolve("log.txt"), StandardOpenOption.WRITE,
          StandardOpenOption.APPEND)) {
        ch.write(utf8("ghi"));
      }
    }
  }

  private static ByteBuffer utf8(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
  }
}
