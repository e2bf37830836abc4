package io.keel.kvstore;

import io.keel.proto.mvccpb.KeyValue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's RocksDB instance: its options, the three column families ("default", "key", "meta"), the
 * readers (snapshot streams) that hold its handles, and reads of committed values. Kept apart from
 * {@link MvccStore} so the native-resource lifecycle (open, close, reopen after a snapshot swap) is in one place.
 * The handles are replaced only by {@link #closeDb()}/{@link #openDb()} during a restore, which the store runs
 * under every lock (readers see the old or the new instance).
 */
final class StoreDb implements ValueReader {
  private static final Logger LOG = LoggerFactory.getLogger(MvccStore.class);

  private final Path dataDir;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final LRUCache blockCache;
  final WriteOptions writeOptions;
  private RocksDB db;
  private ColumnFamilyHandle defaultCf;
  private ColumnFamilyHandle keyCf;
  private ColumnFamilyHandle metaCf;
  private final List<AutoCloseable> openReaders = new CopyOnWriteArrayList<>();

  StoreDb(MvccStore.Options options) throws RocksDBException {
    this.dataDir = options.dataDir();
    this.dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
    this.blockCache = new LRUCache(options.blockCacheBytes());
    this.cfOptions = new ColumnFamilyOptions()
        .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(blockCache));
    openDb();
    this.writeOptions = new WriteOptions().setSync(options.syncWrites());
  }

  void openDb() throws RocksDBException {
    List<ColumnFamilyDescriptor> descs = List.of(
        new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
        new ColumnFamilyDescriptor("key".getBytes(StandardCharsets.US_ASCII), cfOptions),
        new ColumnFamilyDescriptor("meta".getBytes(StandardCharsets.US_ASCII), cfOptions));
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    this.db = RocksDB.open(dbOptions, dataDir.toString(), descs, handles);
    this.defaultCf = handles.get(0);
    this.keyCf = handles.get(1);
    this.metaCf = handles.get(2);
  }

  /** Snapshot streams hold handles of this RocksDB instance: they end before it closes (close or restore). */
  void closeOpenReaders() {
    for (AutoCloseable r : openReaders) {
      try {
        r.close();
      } catch (Exception e) {
        LOG.warn("closing reader {} failed", r, e);
      }
    }
  }

  void closeDb() {
    closeOpenReaders();
    keyCf.close();
    metaCf.close();
    defaultCf.close();
    db.close();
  }

  /** Closes the instance and every native option object (store close). */
  void closeAll() {
    closeOpenReaders();
    writeOptions.close();
    closeDb();
    dbOptions.close();
    cfOptions.close();
    blockCache.close();
  }

  RocksDB db() {
    return db;
  }

  ColumnFamilyHandle keyColumn() {
    return keyCf;
  }

  ColumnFamilyHandle metaColumn() {
    return metaCf;
  }

  void trackReader(AutoCloseable reader) {
    openReaders.add(reader);
  }

  void untrackReader(AutoCloseable reader) {
    openReaders.remove(reader);
  }

  /** The committed value of a revision, or null if it is not stored. */
  @Override
  public KeyValue read(long main, long sub) {
    try {
      byte[] v = db.get(keyCf, Revisions.toBytes(main, sub, false));
      return v == null ? null : StoreRecovery.parse(v);
    } catch (RocksDBException e) {
      throw new KvStorageException("read", e);
    }
  }

  /** The committed values of {@code count} revisions (pairs in revs from index {@code from}); null if missing. */
  @Override
  public KeyValue[] readAll(long[] revs, int from, int count) {
    if (count == 1) {
      return new KeyValue[] {read(revs[2 * from], revs[2 * from + 1])};
    }
    List<ColumnFamilyHandle> cfs = new ArrayList<>(count);
    List<byte[]> keys = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      cfs.add(keyCf);
      keys.add(Revisions.toBytes(revs[2 * (from + i)], revs[2 * (from + i) + 1], false));
    }
    try {
      List<byte[]> vals = db.multiGetAsList(cfs, keys);
      KeyValue[] out = new KeyValue[count];
      for (int i = 0; i < count; i++) {
        byte[] v = vals.get(i);
        out[i] = v == null ? null : StoreRecovery.parse(v);
      }
      return out;
    } catch (RocksDBException e) {
      throw new KvStorageException("read", e);
    }
  }

  /** A RocksDB long property summed over the column families. Caller holds the store's read guard. */
  long property(String name) {
    try {
      long sum = 0;
      for (ColumnFamilyHandle cf : List.of(defaultCf, keyCf, metaCf)) {
        sum += db.getLongProperty(cf, name);
      }
      return sum;
    } catch (RocksDBException e) {
      throw new KvStorageException("property " + name, e);
    }
  }

  /** RocksDB compactRange of every column family (etcd's defragment). Caller holds the store's read guard. */
  void compactAll() {
    try {
      for (ColumnFamilyHandle cf : List.of(defaultCf, keyCf, metaCf)) {
        db.compactRange(cf);
      }
    } catch (RocksDBException e) {
      throw new KvStorageException("defragment", e);
    }
  }

  /** Flushes every column family's memtable to SST files and waits. Caller holds the store's read guard. */
  void flushMemtables() {
    try (org.rocksdb.FlushOptions o = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
      db.flush(o, List.of(defaultCf, keyCf, metaCf));
    } catch (RocksDBException e) {
      throw new KvStorageException("memtable flush", e);
    }
  }
}
