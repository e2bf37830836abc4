package io.keel.kvstore;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * File work behind store checkpoints and restores: hard-link copies of a RocksDB checkpoint (its files are never
 * modified in place, so links are safe and cheap), the directory swap of a restore, and the roll-forward of a
 * swap a crash interrupted. A restore stages a complete copy as {@code <dir>.restore} first, so at any instant
 * either the old directory, or the complete new one under one of the two names, exists.
 */
public final class StoreCheckpoint {
  private static final Logger LOG = LoggerFactory.getLogger(StoreCheckpoint.class);

  private StoreCheckpoint() {}

  /** Where a restore stages its copy of the checkpoint. */
  static Path staging(Path dataDir) {
    return dataDir.resolveSibling(dataDir.getFileName() + ".restore");
  }

  /** Where a restore parks the replaced directory until the new one is open. */
  static Path retired(Path dataDir) {
    return dataDir.resolveSibling(dataDir.getFileName() + ".old");
  }

  /**
   * Finishes or cleans up a restore a crash interrupted; called before opening {@code dataDir}. A staged copy is
   * complete before the first rename, so when the data directory is missing the staged one is rolled forward.
   */
  static void recoverInterruptedSwap(Path dataDir) throws IOException {
    Path staged = staging(dataDir);
    if (!Files.exists(dataDir) && Files.isDirectory(staged)) {
      LOG.warn("store {}: a restore was interrupted after the old data moved away; completing it", dataDir);
      move(staged, dataDir);
    }
    deleteTree(staged);
    deleteTree(retired(dataDir));
  }

  /** Moves {@code dataDir} aside and the complete staged copy into its place (each rename durable). */
  static void swapInStaged(Path dataDir) throws IOException {
    Path old = retired(dataDir);
    deleteTree(old);
    move(dataDir, old);
    move(staging(dataDir), dataDir);
  }

  static void notifyRestored(List<RevisionListener> listeners, long revision, long compactRevision) {
    for (RevisionListener l : listeners) {
      try {
        l.onRestored(revision, compactRevision);
      } catch (RuntimeException e) {
        LOG.error("revision listener {} failed on restore at revision {}", l, revision, e);
      }
    }
  }

  /** Regular files of a checkpoint directory (RocksDB checkpoints are flat), sorted by name. */
  public static List<Path> files(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      List<Path> out = new ArrayList<>(s.filter(Files::isRegularFile).toList());
      out.sort(Comparator.comparing(p -> p.getFileName().toString()));
      return out;
    }
  }

  /** Copies a flat directory by hard links (by bytes where links are not possible), then fsyncs it. */
  public static void linkCopy(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    for (Path f : files(from)) {
      Path target = to.resolve(f.getFileName().toString());
      try {
        Files.createLink(target, f);
      } catch (IOException | UnsupportedOperationException e) {
        Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
      }
    }
    fsyncDir(to);
  }

  /** Renames atomically where the file system can, and fsyncs the parent so the rename is durable. */
  public static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to);
    }
    fsyncDir(to.toAbsolutePath().getParent());
  }

  /** Makes a directory's entries durable (a no-op where the platform cannot open directories). */
  public static void fsyncDir(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      LOG.debug("cannot fsync directory {}: {}", dir, e.toString());
    }
  }

  /** Deletes a directory tree if it exists. */
  public static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
