package io.keel.kvstore;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SortedMap;
import java.util.TreeMap;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * Small server records (alarms) kept in the store's meta column family under keys starting {@value #PREFIX},
 * each change written in one RocksDB batch with the Raft applied index, so they are exactly as durable as the
 * key space and a restart replays nothing twice. A snapshot restore drops them (they name old member ids).
 */
public final class ServerRecords {
  /** Prefix of every server record key. */
  public static final String PREFIX = "x/";

  private final MvccStore store;

  public ServerRecords(MvccStore store) {
    this.store = store;
  }

  /** Sets ({@code value} non-null) or deletes one record at Raft index {@code appliedIndex}. Writer thread. */
  public void put(String key, byte[] value, long appliedIndex) {
    if (!key.startsWith(PREFIX) || appliedIndex < 0) {
      throw new IllegalArgumentException("server record keys start with " + PREFIX + " (got " + key + ")");
    }
    byte[] k = key.getBytes(StandardCharsets.US_ASCII);
    store.commitBatch(b -> {
      try {
        if (value == null) {
          b.delete(store.metaColumn(), k);
        } else {
          b.put(store.metaColumn(), k, value);
        }
      } catch (RocksDBException e) {
        throw new KvStorageException("server record " + key, e);
      }
    }, appliedIndex);
  }

  /** The records whose keys start with {@code prefix} (which must start with {@value #PREFIX}), in key order. */
  public SortedMap<String, byte[]> entries(String prefix) {
    if (!prefix.startsWith(PREFIX)) {
      throw new IllegalArgumentException("server record keys start with " + PREFIX + " (got " + prefix + ")");
    }
    byte[] p = prefix.getBytes(StandardCharsets.US_ASCII);
    return store.guarded(() -> {
      SortedMap<String, byte[]> out = new TreeMap<>();
      try (RocksIterator it = store.db().newIterator(store.metaColumn())) {
        for (it.seek(p); it.isValid() && startsWith(it.key(), p); it.next()) {
          out.put(new String(it.key(), StandardCharsets.US_ASCII), it.value());
        }
        it.status();
      } catch (RocksDBException e) {
        throw new KvStorageException("server records " + prefix, e);
      }
      return out;
    });
  }

  static boolean startsWith(byte[] a, byte[] prefix) {
    return a.length >= prefix.length && Arrays.equals(a, 0, prefix.length, prefix, 0, prefix.length);
  }
}
