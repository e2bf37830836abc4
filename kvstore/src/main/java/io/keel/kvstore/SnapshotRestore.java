package io.keel.kvstore;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * Lays down a new store directory from a {@link SnapshotFormat} file, as {@code etcdctl snapshot restore} does
 * for etcd: verifies the SHA-256 trailer first (nothing is written from a corrupt or truncated file), then
 * writes the records. The restored store starts at applied index 0 (a new cluster's log starts afresh) with
 * the snapshot's revision and compact revision; server records (alarms of the old members) are dropped.
 */
public final class SnapshotRestore {
  /** What was restored. */
  public record Result(long revision, long compactRevision, long records) {}

  private static final long BATCH_BYTES = 4L << 20;

  private SnapshotRestore() {}

  /** Checks the file's length and SHA-256 trailer; throws IOException naming the file if it is not intact. */
  public static void verify(Path file) throws IOException {
    long size = Files.size(file);
    if (size < SnapshotFormat.BLOCK_BYTES + SnapshotFormat.TRAILER_BYTES
        || (size - SnapshotFormat.TRAILER_BYTES) % SnapshotFormat.BLOCK_BYTES != 0) {
      throw new IOException("snapshot file " + file + " is truncated or not a snapshot (" + size + " bytes)");
    }
    MessageDigest sha = sha256();
    byte[] trailer = new byte[SnapshotFormat.TRAILER_BYTES];
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      DigestInputStream din = new DigestInputStream(in, sha);
      byte[] buf = new byte[1 << 16];
      long left = size - SnapshotFormat.TRAILER_BYTES;
      while (left > 0) {
        int n = din.read(buf, 0, (int) Math.min(buf.length, left));
        if (n < 0) {
          throw new IOException("snapshot file " + file + " changed while being verified");
        }
        left -= n;
      }
      din.on(false);
      if (in.readNBytes(trailer, 0, trailer.length) != trailer.length) {
        throw new IOException("snapshot file " + file + " changed while being verified");
      }
    }
    byte[] actual = sha.digest();
    if (!Arrays.equals(actual, trailer)) {
      throw new IOException("snapshot file " + file + " failed its SHA-256 check (corrupt): expected "
          + HexFormat.of().formatHex(trailer) + ", computed " + HexFormat.of().formatHex(actual));
    }
  }

  /** Verifies {@code file} and restores it into {@code kvDir}, which must not exist or be empty. */
  public static Result restore(Path file, Path kvDir) throws IOException {
    verify(file);
    if (Files.exists(kvDir)) {
      try (Stream<Path> s = Files.list(kvDir)) {
        if (s.findAny().isPresent()) {
          throw new IOException("restore target " + kvDir + " is not empty");
        }
      }
    }
    Files.createDirectories(kvDir);
    long revision;
    long compactRevision;
    long records;
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
         MvccStore store = MvccStore.open(MvccStore.Options.of(kvDir).syncWrites(false).blockCacheBytes(1 << 20))) {
      byte[] header = in.readNBytes(SnapshotFormat.BLOCK_BYTES);
      DataInputStream h = new DataInputStream(new java.io.ByteArrayInputStream(header));
      byte[] magic = h.readNBytes(SnapshotFormat.MAGIC.length);
      int version = h.readInt();
      if (!Arrays.equals(magic, SnapshotFormat.MAGIC) || version != SnapshotFormat.VERSION) {
        throw new IOException("snapshot file " + file + " is not a Keel snapshot of format version "
            + SnapshotFormat.VERSION + " (an etcd bolt snapshot cannot be restored into Keel)");
      }
      revision = h.readLong();
      compactRevision = h.readLong();
      h.readLong(); // applied index of the source member; the restored store starts at 0
      records = h.readLong();
      writeRecords(in, store, records, file);
    } catch (EOFException e) {
      throw new IOException("snapshot file " + file + " ends early", e);
    }
    try (MvccStore check = MvccStore.open(MvccStore.Options.of(kvDir).blockCacheBytes(1 << 20))) {
      if (check.currentRevision() != revision || check.compactRevision() != compactRevision) {
        throw new IOException("restored store at " + kvDir + " has revision " + check.currentRevision()
            + "/compact " + check.compactRevision() + " but the snapshot says " + revision + "/" + compactRevision);
      }
    }
    return new Result(revision, compactRevision, records);
  }

  private static void writeRecords(DataInputStream in, MvccStore store, long records, Path file)
      throws IOException {
    try (WriteOptions sync = new WriteOptions().setSync(true)) {
      WriteBatch batch = new WriteBatch();
      try {
        for (long i = 0; i < records; i++) {
          byte column = in.readByte();
          byte[] key = field(in, file);
          byte[] value = field(in, file);
          ColumnFamilyHandle cf = switch (column) {
            case SnapshotFormat.COLUMN_KEY -> store.keyColumn();
            case SnapshotFormat.COLUMN_META -> keep(key) ? store.metaColumn() : null;
            default -> throw new IOException("snapshot file " + file + ": bad record " + i + " (column " + column + ")");
          };
          if (cf != null) {
            batch.put(cf, key, value);
          }
          if (batch.getDataSize() > BATCH_BYTES) {
            store.db().write(sync, batch);
            batch.close();
            batch = new WriteBatch();
          }
        }
        if (in.readByte() != SnapshotFormat.END || in.readLong() != records) {
          throw new IOException("snapshot file " + file + ": record count does not match its header");
        }
        store.db().write(sync, batch);
      } catch (RocksDBException e) {
        throw new IOException("cannot write the restored store: " + e.getMessage(), e);
      } finally {
        batch.close();
      }
    }
  }

  private static boolean keep(byte[] metaKey) {
    String k = new String(metaKey, java.nio.charset.StandardCharsets.US_ASCII);
    return !k.startsWith(ServerRecords.PREFIX) && !Arrays.equals(metaKey, MvccStore.META_CONSISTENT_INDEX);
  }

  private static byte[] field(DataInputStream in, Path file) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > SnapshotFormat.MAX_FIELD_BYTES) {
      throw new IOException("snapshot file " + file + ": field length " + n + " out of bounds");
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
