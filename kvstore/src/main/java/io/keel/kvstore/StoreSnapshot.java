package io.keel.kvstore;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;

/**
 * A consistent point-in-time copy of an {@link MvccStore}, read as a byte stream in {@link SnapshotFormat}
 * (ending with the SHA-256 trailer). Holds a RocksDB snapshot, so writes go on while it is read; its length is
 * known up front ({@link #totalBytes()}, one counting pass over the same snapshot). Not thread-safe: one
 * reader. Close it when done; closing the store closes it too (later reads then fail).
 */
public final class StoreSnapshot implements AutoCloseable {
  private final MvccStore store;
  private final Snapshot snapshot;
  private final ReadOptions readOptions;
  private final long revision;
  private final long compactRevision;
  private final long appliedIndex;
  private final long recordCount;
  private final long totalBytes;
  private final MessageDigest sha;
  private ByteBuffer pending = ByteBuffer.allocate(0);
  private RocksIterator iterator;
  private int column; // 0 = header next, 1 = meta, 2 = key, 3 = end written
  private long emitted;
  private long produced;
  private long recordsEmitted;
  private boolean closed;

  private StoreSnapshot(MvccStore store) {
    this.store = store;
    this.snapshot = store.db().getSnapshot();
    this.readOptions = new ReadOptions().setSnapshot(snapshot);
    try {
      this.appliedIndex = metaLong(MvccStore.META_CONSISTENT_INDEX, 0);
      this.revision = metaLong(MvccStore.META_CURRENT_REV, 1);
      this.compactRevision = metaLong(MvccStore.META_FINISHED_COMPACT, -1);
      long[] counted = new long[2];
      count(store.metaColumn(), counted);
      count(store.keyColumn(), counted);
      this.recordCount = counted[0];
      this.totalBytes = SnapshotFormat.fileBytes(counted[1]);
      this.sha = MessageDigest.getInstance("SHA-256");
    } catch (RocksDBException | NoSuchAlgorithmException | RuntimeException e) {
      releaseNative();
      throw e instanceof RuntimeException re ? re : new KvStorageException("snapshot", e);
    }
  }

  /** Takes the snapshot now (cheap) and counts its bytes (reads the whole store once). */
  public static StoreSnapshot open(MvccStore store) {
    return store.guarded(() -> {
      StoreSnapshot s = new StoreSnapshot(store);
      store.trackReader(s); // under the guard: a closing store either sees it or is not yet closing
      return s;
    });
  }

  private long metaLong(byte[] key, long dflt) throws RocksDBException {
    byte[] v = store.db().get(store.metaColumn(), readOptions, key);
    return v == null ? dflt : Revisions.getLong(v, 0);
  }

  private void count(ColumnFamilyHandle cf, long[] counted) throws RocksDBException {
    try (RocksIterator it = store.db().newIterator(cf, readOptions)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        counted[0]++;
        counted[1] += SnapshotFormat.recordBytes(it.key().length, it.value().length);
      }
      it.status();
    }
  }

  public long revision() {
    return revision;
  }

  public long compactRevision() {
    return compactRevision;
  }

  public long appliedIndex() {
    return appliedIndex;
  }

  /** Length of the whole stream, trailer included. */
  public long totalBytes() {
    return totalBytes;
  }

  /** Bytes not yet read. */
  public long remainingBytes() {
    return totalBytes - emitted;
  }

  /** Reads up to {@code len} bytes; -1 once the trailer has been read. */
  public synchronized int read(byte[] buf, int off, int len) {
    if (closed) {
      throw new IllegalStateException("snapshot stream is closed");
    }
    return store.guarded(() -> {
      int n = 0;
      while (n < len) {
        if (!pending.hasRemaining() && !produce()) {
          break;
        }
        int k = Math.min(len - n, pending.remaining());
        pending.get(buf, off + n, k);
        n += k;
      }
      emitted += n;
      if (n == 0 && len > 0) {
        if (emitted != totalBytes) {
          throw new IllegalStateException("snapshot length " + emitted + " != counted " + totalBytes);
        }
        return -1;
      }
      return n;
    });
  }

  /** Fills {@code pending} with the next piece; false at the end. */
  private boolean produce() {
    if (column == 0) {
      ByteBuffer h = ByteBuffer.allocate(SnapshotFormat.BLOCK_BYTES);
      h.put(SnapshotFormat.MAGIC).putInt(SnapshotFormat.VERSION).putLong(revision).putLong(compactRevision)
          .putLong(appliedIndex).putLong(recordCount).putLong(totalBytes);
      column = 1;
      iterator = store.db().newIterator(store.metaColumn(), readOptions);
      iterator.seekToFirst();
      return hashed(h.array());
    }
    while (column <= 2) {
      if (iterator.isValid()) {
        byte[] k = iterator.key();
        byte[] v = iterator.value();
        ByteBuffer r = ByteBuffer.allocate((int) SnapshotFormat.recordBytes(k.length, v.length));
        r.put(column == 1 ? SnapshotFormat.COLUMN_META : SnapshotFormat.COLUMN_KEY).putInt(k.length).put(k)
            .putInt(v.length).put(v);
        iterator.next();
        recordsEmitted++;
        return hashed(r.array());
      }
      checkIterator();
      iterator.close();
      iterator = null;
      if (column == 1) {
        iterator = store.db().newIterator(store.keyColumn(), readOptions);
        iterator.seekToFirst();
      }
      column++;
    }
    if (column == 3) {
      if (recordsEmitted != recordCount) {
        throw new IllegalStateException("snapshot records " + recordsEmitted + " != counted " + recordCount);
      }
      long bodyBytes = totalBytes - SnapshotFormat.TRAILER_BYTES;
      ByteBuffer end = ByteBuffer.allocate((int) (bodyBytes - produced));
      end.put(SnapshotFormat.END).putLong(recordCount);
      byte[] endBytes = end.array();
      sha.update(endBytes);
      produced += endBytes.length + SnapshotFormat.TRAILER_BYTES;
      byte[] out = new byte[endBytes.length + SnapshotFormat.TRAILER_BYTES];
      System.arraycopy(endBytes, 0, out, 0, endBytes.length);
      System.arraycopy(sha.digest(), 0, out, endBytes.length, SnapshotFormat.TRAILER_BYTES);
      pending = ByteBuffer.wrap(out);
      column = 4;
      return true;
    }
    return false;
  }

  private boolean hashed(byte[] piece) {
    sha.update(piece);
    produced += piece.length;
    pending = ByteBuffer.wrap(piece);
    return true;
  }

  private void checkIterator() {
    try {
      iterator.status();
    } catch (RocksDBException e) {
      throw new KvStorageException("snapshot read", e);
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    store.untrackReader(this);
    releaseNative();
  }

  private void releaseNative() {
    if (iterator != null) {
      iterator.close();
    }
    readOptions.close();
    store.db().releaseSnapshot(snapshot);
  }
}
