package io.keel.kvstore;

import io.keel.proto.etcdserverpb.CompactionRequest;
import io.keel.proto.etcdserverpb.CompactionResponse;
import io.keel.proto.etcdserverpb.DeleteRangeRequest;
import io.keel.proto.etcdserverpb.DeleteRangeResponse;
import io.keel.proto.etcdserverpb.HashKVResponse;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.PutResponse;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import io.keel.proto.etcdserverpb.ResponseHeader;
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.proto.etcdserverpb.TxnResponse;
import io.keel.proto.mvccpb.Event;
import io.keel.proto.mvccpb.KeyValue;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An MVCC key-value store with etcd v3 semantics on RocksDB.
 *
 * <p>Storage follows etcd: column family "key" maps a revision ({@link Revisions}) to the serialized
 * mvccpb.KeyValue; "meta" holds the applied (consistent) index, the current revision and the compact
 * revisions. An in-memory {@link KeyIndex} maps keys to their revision histories and is rebuilt on open.
 *
 * <p>Threading: writes ({@code put, deleteRange, txn, compact}) are serialized (the Raft apply thread);
 * reads ({@code range, hashKV} and the getters) may run on any thread concurrently with writes and see a
 * consistent revision. A write that fails on an etcd precondition changes nothing; a RocksDB failure during
 * commit makes the store refuse further writes ({@link KvStorageException}) until reopened.
 */
public final class MvccStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MvccStore.class);
  static { RocksDB.loadLibrary(); }

  private static final long RESTORE_WAIT_MS = 30_000;
  static final byte[] META_CONSISTENT_INDEX = bytes("consistent_index");
  static final byte[] META_CURRENT_REV = bytes("currentRev");
  static final byte[] META_SCHEDULED_COMPACT = bytes("scheduledCompactRev");
  static final byte[] META_FINISHED_COMPACT = bytes("finishedCompactRev");

  /** Store options. */
  public static final class Options {
    private final Path dataDir;
    private boolean syncWrites = true;
    private MeterRegistry meterRegistry = new SimpleMeterRegistry();
    private LeaseLookup leases = LeaseLookup.NONE;
    private int maxTxnOps = RequestValidator.DEFAULT_MAX_TXN_OPS;
    private long blockCacheBytes = 64L << 20;

    public Options(Path dataDir) {
      this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
    }

    /** All the commonly set options at once; null registry/leases mean the defaults. */
    public Options(Path dataDir, boolean syncWrites, MeterRegistry meterRegistry, LeaseLookup leases) {
      this(dataDir);
      this.syncWrites = syncWrites;
      if (meterRegistry != null) {
        this.meterRegistry = meterRegistry;
      }
      if (leases != null) {
        this.leases = leases;
      }
    }

    public static Options of(Path dataDir) {
      return new Options(dataDir);
    }

    /** fsync the WAL on every write (default true: an acknowledged write survives kill -9). */
    public Options syncWrites(boolean sync) {
      this.syncWrites = sync;
      return this;
    }

    public Options meterRegistry(MeterRegistry registry) {
      this.meterRegistry = Objects.requireNonNull(registry);
      return this;
    }

    public Options leases(LeaseLookup lookup) {
      this.leases = Objects.requireNonNull(lookup);
      return this;
    }

    /** etcd's --max-txn-ops, enforced by the store's own validation of txns (default 128). */
    public Options maxTxnOps(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxTxnOps must be >= 1");
      }
      this.maxTxnOps = max;
      return this;
    }

    /** RocksDB block cache (uncompressed blocks of stored values) in bytes; default 64 MiB. */
    public Options blockCacheBytes(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("blockCacheBytes < 0");
      }
      this.blockCacheBytes = bytes;
      return this;
    }

    public long blockCacheBytes() {
      return blockCacheBytes;
    }

    public Path dataDir() {
      return dataDir;
    }

    public boolean syncWrites() {
      return syncWrites;
    }

    public MeterRegistry meterRegistry() {
      return meterRegistry;
    }

    public LeaseLookup leases() {
      return leases;
    }

    public int maxTxnOps() {
      return maxTxnOps;
    }
  }

  private final Options options;
  // RocksDB handles and the index are replaced by restoreFrom(), under every lock (readers see old or new).
  private RocksDB db;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final LRUCache blockCache;
  private ColumnFamilyHandle defaultCf;
  private ColumnFamilyHandle keyCf;
  private ColumnFamilyHandle metaCf;
  private final WriteOptions writeOptions;
  private KeyIndex index = new KeyIndex();
  private final LeaseTable leaseTable = new LeaseTable();
  private final StoreMetrics metrics;
  private final RequestValidator validator;
  private final TxnEngine txnEngine = new TxnEngine(this);
  private final List<RevisionListener> listeners = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> openReaders = new CopyOnWriteArrayList<>();
  private final ReentrantLock writeLock = new ReentrantLock();
  private final ReentrantReadWriteLock compactionLock = new ReentrantReadWriteLock();
  /** Reads hold the read side; close() takes the write side so RocksDB is not closed under a reader. */
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private volatile long currentRev = 1;
  private volatile long compactRev = -1;
  private volatile long appliedIndex;
  private volatile boolean failed;
  private volatile boolean closed;
  private volatile boolean restoring;
  /** Group apply in progress (writer thread, under writeLock); null when each write commits on its own. */
  private WriteGroup group;
  /** A group is written once it holds this many entries or batch bytes (bounds memory and the batch). */
  static final int GROUP_MAX_ENTRIES = 1024;
  static final long GROUP_MAX_BYTES = 16L << 20;

  private MvccStore(Options options) throws RocksDBException {
    this.options = options;
    this.validator = new RequestValidator(options.maxTxnOps());
    this.dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
    this.blockCache = new LRUCache(options.blockCacheBytes());
    this.cfOptions = new ColumnFamilyOptions()
        .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(blockCache));
    openDb();
    this.writeOptions = new WriteOptions().setSync(options.syncWrites());
    recover();
    this.metrics = new StoreMetrics(options.meterRegistry(), this);
  }

  private void openDb() throws RocksDBException {
    List<ColumnFamilyDescriptor> descs = List.of(
        new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
        new ColumnFamilyDescriptor(bytes("key"), cfOptions),
        new ColumnFamilyDescriptor(bytes("meta"), cfOptions));
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    this.db = RocksDB.open(dbOptions, options.dataDir().toString(), descs, handles);
    this.defaultCf = handles.get(0);
    this.keyCf = handles.get(1);
    this.metaCf = handles.get(2);
  }

  /** Snapshot streams hold handles of this RocksDB instance: they end before it closes (close or restore). */
  private void closeOpenReaders() {
    for (AutoCloseable r : openReaders) {
      try {
        r.close();
      } catch (Exception e) {
        LOG.warn("closing reader {} failed", r, e);
      }
    }
  }

  private void closeDb() {
    closeOpenReaders();
    keyCf.close();
    metaCf.close();
    defaultCf.close();
    db.close();
  }

  /** Opens (creating if needed) the store in {@code options.dataDir()} and rebuilds the index. */
  public static MvccStore open(Options options) {
    try {
      StoreCheckpoint.recoverInterruptedSwap(options.dataDir());
      return new MvccStore(options);
    } catch (RocksDBException | java.io.IOException e) {
      throw new KvStorageException("open " + options.dataDir(), e);
    }
  }

  /**
   * Records that every Raft entry up to {@code index} is applied, for entries that wrote nothing to the store
   * (before a checkpoint, so its applied index is the snapshot's). No-op unless it raises the index. Writer thread.
   */
  public void markApplied(long index) {
    writeLock.lock();
    try {
      ensureWritable();
      flushStaged();
      if (index > appliedIndex) {
        commitMetaOnly(index);
      }
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Writes a consistent RocksDB checkpoint (hard links, cheap) of the store into {@code target}, which must not
   * exist, and returns the applied index it holds; the store itself is durable up to that index when this
   * returns. Writer thread (no write runs meanwhile).
   */
  public long checkpoint(Path target) {
    writeLock.lock();
    try (org.rocksdb.Checkpoint cp = org.rocksdb.Checkpoint.create(db)) {
      ensureOpen();
      flushStaged();
      db.flushWal(true); // the live store, too, is durable up to here before the Raft WAL is released
      cp.createCheckpoint(target.toString());
      return appliedIndex;
    } catch (RocksDBException e) {
      throw new KvStorageException("checkpoint into " + target, e);
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Replaces the whole content by a checkpoint (a Raft snapshot from the leader): stages a linked copy, closes
   * RocksDB, swaps the directories, reopens and rebuilds the index, then calls every listener's
   * {@link RevisionListener#onRestored}. Readers wait meanwhile and see the old or the new content, never a mix.
   * {@code checkpointDir} is left as it was. Writer thread. On failure the store refuses further use.
   */
  public void restoreFrom(Path checkpointDir) {
    Path dir = options.dataDir();
    writeLock.lock();
    try {
      ensureOpen();
      endGroupDiscarding(); // the snapshot replaces everything staged
      Path staged = StoreCheckpoint.staging(dir);
      StoreCheckpoint.deleteTree(staged);
      StoreCheckpoint.linkCopy(checkpointDir, staged);
      restoring = true;
      lifecycle.writeLock().lock();
      try {
        failed = true; // until reopened
        closeDb();
        try {
          StoreCheckpoint.swapInStaged(dir);
          openDb();
          StoreCheckpoint.deleteTree(StoreCheckpoint.retired(dir));
          index = new KeyIndex();
          recover();
        } catch (RocksDBException | java.io.IOException | RuntimeException e) {
          closed = true; // the handles or the index are unusable: no reader may touch them
          throw e;
        }
        failed = false;
      } finally {
        restoring = false;
        lifecycle.writeLock().unlock();
      }
      LOG.info("store {} restored from {}: revision {}, compact revision {}, applied index {}", dir, checkpointDir,
          currentRev, compactRev, appliedIndex);
      StoreCheckpoint.notifyRestored(listeners, currentRev, compactRev);
    } catch (RocksDBException | java.io.IOException e) {
      failed = true;
      throw new KvStorageException("restore " + dir + " from " + checkpointDir, e);
    } finally {
      writeLock.unlock();
    }
  }

  private void recover() throws RocksDBException {
    StoreRecovery.State st = StoreRecovery.recover(db, keyCf, metaCf, index, leaseTable);
    appliedIndex = st.appliedIndex();
    compactRev = st.compactRev();
    currentRev = st.currentRev();
    LOG.info("opened MVCC store {}: {} revisions, {} keys, revision {}, compact revision {}, applied index {}",
        options.dataDir(), st.revisions(), index.size(), currentRev, compactRev, appliedIndex);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] longBytes(long v) {
    byte[] b = new byte[8];
    Revisions.putLong(b, 0, v);
    return b;
  }

  // ---- package-private accessors for the helpers ----

  KeyIndex index() {
    return index;
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

  /** Runs {@code body} with RocksDB guaranteed open (fails with IllegalStateException once closing). */
  <T> T guarded(Supplier<T> body) {
    return reading(body);
  }

  /** Tracks a reader holding RocksDB handles (a snapshot stream); close() closes it before RocksDB. */
  void trackReader(AutoCloseable reader) {
    openReaders.add(reader);
  }

  void untrackReader(AutoCloseable reader) {
    openReaders.remove(reader);
  }

  long compactRevisionRaw() {
    return compactRev;
  }

  boolean leaseExists(long lease) {
    return leaseTable.exists(lease) || options.leases().exists(lease);
  }

  /** The leases and their attached keys (read-only for callers; changed by leaseGrant/leaseRevoke and writes). */
  public LeaseTable leases() {
    return leaseTable;
  }

  /** The committed value of a revision, or null if it is not stored. */
  KeyValue readCommitted(long main, long sub) {
    try {
      byte[] v = db.get(keyCf, Revisions.toBytes(main, sub, false));
      return v == null ? null : StoreRecovery.parse(v);
    } catch (RocksDBException e) {
      throw new KvStorageException("read", e);
    }
  }

  /** The committed values of {@code count} revisions (pairs in revs from index {@code from}); null if missing. */
  KeyValue[] readCommittedAll(long[] revs, int from, int count) {
    if (count == 1) {
      return new KeyValue[] {readCommitted(revs[2 * from], revs[2 * from + 1])};
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

  /** Reader of committed values (RocksDB only). */
  private final ValueReader committed = new ValueReader() {
    @Override
    public KeyValue read(long main, long sub) {
      return readCommitted(main, sub);
    }

    @Override
    public KeyValue[] readAll(long[] revs, int from, int count) {
      return readCommittedAll(revs, from, count);
    }
  };

  // ---- reads ----

  /** etcd Range. Any thread. */
  public RangeResponse range(RangeRequest req) {
    return reading(() -> rangeUnguarded(req));
  }

  private RangeResponse rangeUnguarded(RangeRequest req) {
    return timed(metrics.range, () -> {
      validator.checkRange(req);
      long rev = currentRev;
      long compact = compactRev;
      RangeResponse resp;
      try {
        resp = Ranges.range(index, committed, req, rev, compact);
      } catch (Ranges.MissingRevisionException e) {
        if (compactRev != compact) {
          throw EtcdError.COMPACTED.exception();
        }
        throw new IllegalStateException("index and backend disagree", e);
      }
      long readRev = req.getRevision() > 0 ? req.getRevision() : rev;
      if (readRev < compactRev) {
        throw EtcdError.COMPACTED.exception(); // a compaction overtook this read
      }
      return resp;
    });
  }

  /** etcd HashKV at a revision (0 = current). Any thread. */
  public HashKVResponse hashKV(long revision) {
    return reading(() -> hashUnguarded(revision));
  }

  private HashKVResponse hashUnguarded(long revision) {
    return timed(metrics.hash, () -> {
      compactionLock.readLock().lock();
      try {
        long cur = currentRev;
        long compact = compactRev;
        if (revision > 0 && revision <= compact) {
          throw EtcdError.COMPACTED.exception();
        }
        if (revision > 0 && revision > cur) {
          throw EtcdError.FUTURE_REV.exception();
        }
        long rev = revision == 0 ? cur : revision;
        int hash = HashKv.hash(this, index, rev, compact);
        return HashKVResponse.newBuilder()
            .setHeader(ResponseHeader.newBuilder().setRevision(cur))
            .setHash(hash)
            .setCompactRevision(compact)
            .build();
      } finally {
        compactionLock.readLock().unlock();
      }
    });
  }

  /**
   * Committed events with revisions in [fromRev, toRev] (toRev is capped at the current revision), in revision
   * order, for watchers catching up. Stops on a revision boundary once {@code maxEvents} are collected (a
   * single revision is never split, so one large revision may exceed it). With {@code withPrevKv}, each
   * event carries the key's previous value when it is still stored (as in etcd, best effort near the compact
   * revision). Throws COMPACTED if fromRev is below the compact revision. Any thread.
   */
  public List<Event> events(long fromRev, long toRev, boolean withPrevKv, int maxEvents) {
    return reading(() -> eventsUnguarded(fromRev, toRev, withPrevKv, maxEvents));
  }

  private List<Event> eventsUnguarded(long fromRev, long toRev, boolean withPrevKv, int maxEvents) {
    if (fromRev < 1 || maxEvents < 1) {
      throw new IllegalArgumentException("fromRev and maxEvents must be >= 1");
    }
    long to = Math.min(toRev, currentRev);
    if (fromRev < compactRev) {
      throw EtcdError.COMPACTED.exception();
    }
    if (fromRev > to) {
      return List.of();
    }
    List<Event> out = EventReader.read(this, fromRev, to, withPrevKv, maxEvents);
    if (fromRev < compactRev) {
      throw EtcdError.COMPACTED.exception(); // a compaction overtook this read
    }
    return out;
  }

  /** The latest committed revision (1 for a fresh store). */
  public long currentRevision() {
    return currentRev;
  }

  /** The last compaction revision, or -1 if the store was never compacted (as etcd reports it). */
  public long compactRevision() {
    return compactRev;
  }

  /** The highest applied index persisted with a write (0 = none). */
  public long appliedIndex() {
    return appliedIndex;
  }

  /** Number of keys in the index, including deleted keys whose history is not yet compacted. */
  public long keyCount() {
    return index.size();
  }

  /**
   * Heap bytes used by the in-memory key index (exact shallow sizes with compressed oops; walks the index,
   * O(keys) — for diagnostics and benchmarks, not for a hot gauge).
   */
  public long indexHeapBytes() {
    return index.heapBytes();
  }

  /** Total on-disk size of the store's SST files and memtables. */
  public long dbSizeBytes() {
    return property("rocksdb.total-sst-files-size") + property("rocksdb.cur-size-all-mem-tables");
  }

  /** Estimated live data size (what a defragmentation would leave). */
  public long dbSizeInUseBytes() {
    return property("rocksdb.estimate-live-data-size") + property("rocksdb.cur-size-all-mem-tables");
  }

  private long property(String name) {
    return reading(() -> propertyUnguarded(name));
  }

  private long propertyUnguarded(String name) {
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

  /**
   * etcd's defragment: rewrites every column family (RocksDB compactRange) so space freed by deletes and
   * compaction is returned and {@link #dbSizeBytes()} shrinks. Any thread; slow, writes go on meanwhile.
   */
  public void defragment() {
    reading(() -> {
      try {
        for (ColumnFamilyHandle cf : List.of(defaultCf, keyCf, metaCf)) {
          db.compactRange(cf);
        }
        return null;
      } catch (RocksDBException e) {
        throw new KvStorageException("defragment", e);
      }
    });
  }

  /** Writes one batch (built by {@code fill}) with the applied index, as the writer thread. For ServerRecords. */
  void commitBatch(java.util.function.Consumer<WriteBatch> fill, long appliedIndex) {
    writeLock.lock();
    try {
      ensureWritable();
      flushStaged();
      try (WriteBatch b = new WriteBatch()) {
        fill.accept(b);
        if (appliedIndex > 0) {
          b.put(metaCf, META_CONSISTENT_INDEX, longBytes(appliedIndex));
        }
        db.write(writeOptions, b);
      } catch (RocksDBException e) {
        failed = true;
        throw new KvStorageException("commit", e);
      }
      if (appliedIndex > 0) {
        this.appliedIndex = appliedIndex;
      }
    } finally {
      writeLock.unlock();
    }
  }

  public void addListener(RevisionListener listener) {
    listeners.add(Objects.requireNonNull(listener));
  }

  public void removeListener(RevisionListener listener) {
    listeners.remove(listener);
  }

  // ---- writes ----

  /** etcd Put. Writer thread; appliedIndex (0 = none) is stored atomically with the change. */
  public PutResponse put(PutRequest req, long appliedIndex) {
    return write(metrics.put, appliedIndex, tw -> {
      validator.checkPut(req);
      if (req.getLease() != 0 && !leaseExists(req.getLease())) {
        throw EtcdError.LEASE_NOT_FOUND.exception();
      }
      return tw.put(req);
    });
  }

  /** etcd DeleteRange. Writer thread. */
  public DeleteRangeResponse deleteRange(DeleteRangeRequest req, long appliedIndex) {
    return write(metrics.deleteRange, appliedIndex, tw -> {
      validator.checkDeleteRange(req);
      return tw.deleteRange(req);
    });
  }

  /** etcd Txn: compares and all ops at one revision. Writer thread. */
  public TxnResponse txn(TxnRequest req, long appliedIndex) {
    return write(metrics.txn, appliedIndex, tw -> {
      validator.checkTxn(req);
      return txnEngine.apply(req, tw);
    });
  }

  /**
   * etcd's lease grant apply: records lease {@code leaseId} with its TTL (already raised to the minimum by the
   * proposer) in the same batch as {@code appliedIndex}. LEASE_EXIST if it is already granted. Writer thread.
   */
  public void leaseGrant(long leaseId, long ttlSeconds, long appliedIndex) {
    writeAlone(metrics.lease, appliedIndex, tw -> {
      if (leaseId == 0) {
        throw EtcdError.LEASE_NOT_FOUND.exception(); // 0 means "no lease" (etcd's NoLease)
      }
      if (leaseTable.exists(leaseId)) {
        throw EtcdError.LEASE_EXIST.exception();
      }
      try {
        leaseTable.writeGrant(tw.batch, metaCf, leaseId, ttlSeconds);
      } catch (RocksDBException e) {
        throw new KvStorageException("write batch lease grant", e);
      }
      return null;
    });
    leaseTable.granted(leaseId, ttlSeconds);
  }

  /**
   * etcd's lease revoke apply: deletes every key attached to the lease in ONE revision and the lease record, in
   * one batch with {@code appliedIndex}. Returns the header (the new revision if keys were deleted).
   * LEASE_NOT_FOUND if no such lease. Writer thread.
   */
  public ResponseHeader leaseRevoke(long leaseId, long appliedIndex) {
    ResponseHeader h = writeAlone(metrics.lease, appliedIndex, tw -> {
      if (!leaseTable.exists(leaseId)) {
        throw EtcdError.LEASE_NOT_FOUND.exception();
      }
      for (com.google.protobuf.ByteString key : leaseTable.keys(leaseId)) {
        tw.deleteRange(DeleteRangeRequest.newBuilder().setKey(key).build());
      }
      try {
        leaseTable.writeRevoke(tw.batch, metaCf, leaseId);
      } catch (RocksDBException e) {
        throw new KvStorageException("write batch lease revoke", e);
      }
      return ResponseHeader.newBuilder().setRevision(tw.changes() > 0 ? tw.rev : tw.beginRev).build();
    });
    leaseTable.revoked(leaseId);
    return h;
  }

  private interface TxnBody<T> {
    T run(WriteTxn tw);
  }

  /** A key-space write: staged in the open group if there is one, else committed on its own. */
  private <T> T write(io.micrometer.core.instrument.Timer timer, long applied, TxnBody<T> body) {
    if (applied < 0) {
      throw new IllegalArgumentException("appliedIndex < 0");
    }
    return timed(timer, () -> {
      writeLock.lock();
      try {
        ensureWritable();
        if (group != null) {
          return stage(applied, body);
        }
        return writeUnlocked(applied, body);
      } finally {
        writeLock.unlock();
      }
    });
  }

  /** A write committed on its own, after anything a group staged (lease records go through here). */
  private <T> T writeAlone(io.micrometer.core.instrument.Timer timer, long applied, TxnBody<T> body) {
    if (applied < 0) {
      throw new IllegalArgumentException("appliedIndex < 0");
    }
    return timed(timer, () -> {
      writeLock.lock();
      try {
        ensureWritable();
        flushStaged();
        return writeUnlocked(applied, body);
      } finally {
        writeLock.unlock();
      }
    });
  }

  private <T> T stage(long applied, TxnBody<T> body) {
    WriteGroup g = group;
    if (g.entries() >= GROUP_MAX_ENTRIES || g.batchBytes() >= GROUP_MAX_BYTES) {
      flushStaged();
      g = group;
    }
    try (WriteTxn tw = new WriteTxn(this, g)) {
      g.savePoint();
      T resp;
      try {
        resp = body.run(tw);
      } catch (RuntimeException e) {
        tw.rollback();
        g.rollbackToSavePoint();
        if (e instanceof EtcdException && applied > 0) {
          g.stagedIndexOnly(applied);
        }
        throw e;
      }
      g.popSavePoint();
      g.staged(applied, tw.rev, tw.events, tw.pendingValues());
      return resp;
    }
  }

  /**
   * Starts group apply: the following puts, deletes and txns (each with its Raft index) are staged in one
   * RocksDB write batch, each reading what the earlier ones wrote, and are written, published (current revision,
   * applied index) and announced to listeners (each revision in order) by {@link #commitGroup()}. Any other
   * write (compaction, leases, server records, checkpoint) first writes what is staged. Nothing staged is visible
   * to readers before the batch is written. Writer thread.
   */
  public void beginGroup() {
    writeLock.lock();
    try {
      ensureWritable();
      if (group != null) {
        throw new IllegalStateException("a write group is already open");
      }
      group = new WriteGroup(currentRev);
    } finally {
      writeLock.unlock();
    }
  }

  /** Writes what the group staged in one batch, publishes it, notifies listeners and ends group mode. */
  public void commitGroup() {
    writeLock.lock();
    try {
      if (group == null) {
        throw new IllegalStateException("no write group is open");
      }
      try {
        ensureWritable();
        flushStaged();
      } finally {
        endGroupDiscarding();
      }
    } finally {
      writeLock.unlock();
    }
  }

  /** Whether a write group is open (writer thread). */
  public boolean inGroup() {
    return group != null;
  }

  /**
   * Writes and publishes what the open group staged so far (no-op without a group); the group stays open. For
   * callers about to do something that must see the store up to date (e.g. read its current revision).
   */
  public void flushGroup() {
    writeLock.lock();
    try {
      if (group != null && !group.isEmpty()) {
        ensureWritable();
        flushStaged();
      }
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Ends a group without writing it (the writer failed mid-group). If anything was staged the store refuses
   * further writes until reopened (its index holds revisions RocksDB does not); a restart replays them.
   */
  public void abandonGroup() {
    writeLock.lock();
    try {
      if (group != null && !group.isEmpty()) {
        failed = true;
      }
      endGroupDiscarding();
    } finally {
      writeLock.unlock();
    }
  }

  /** Writes the staged group, if anything is staged, and continues with an empty one. Under writeLock. */
  private void flushStaged() {
    WriteGroup g = group;
    if (g == null || g.isEmpty()) {
      return;
    }
    group = new WriteGroup(g.rev);
    try (g) {
      boolean changed = !g.revisions().isEmpty();
      try {
        if (g.applied > 0) {
          g.batch.put(metaCf, META_CONSISTENT_INDEX, longBytes(g.applied));
        }
        if (changed) {
          g.batch.put(metaCf, META_CURRENT_REV, longBytes(g.rev));
        }
        db.write(writeOptions, g.batch);
      } catch (RocksDBException e) {
        failed = true; // the index holds staged revisions that are not stored: refuse until reopened
        throw new KvStorageException("group commit", e);
      }
      if (g.applied > 0) {
        appliedIndex = g.applied;
      }
      if (changed) {
        if (currentRev != g.revisions().get(0).rev() - 1) {
          throw new IllegalStateException("revision moved under a write group: " + currentRev);
        }
        currentRev = g.rev;
        metrics.groupEntries.record(g.entries());
        for (WriteGroup.Revision r : g.revisions()) {
          leaseTable.onCommitted(r.events());
          metrics.events.increment(r.events().size());
          notifyListeners(r.rev(), r.events());
        }
      }
    }
  }

  /** Drops the group (nothing staged is written). Under writeLock. */
  private void endGroupDiscarding() {
    if (group != null) {
      group.close();
      group = null;
    }
  }

  private <T> T writeUnlocked(long applied, TxnBody<T> body) {
        try (WriteTxn tw = new WriteTxn(this)) {
          T resp;
          try {
            resp = body.run(tw);
          } catch (RuntimeException e) {
            tw.rollback(); // preconditions are checked first, so this is only a safety net
            if (e instanceof EtcdException && applied > 0) {
              commitMetaOnly(applied);
            }
            throw e;
          }
          commit(tw, applied);
          return resp;
        }
  }

  private void commitMetaOnly(long applied) {
    try (WriteBatch b = new WriteBatch()) {
      b.put(metaCf, META_CONSISTENT_INDEX, longBytes(applied));
      db.write(writeOptions, b);
      appliedIndex = applied;
    } catch (RocksDBException e) {
      failed = true;
      throw new KvStorageException("commit", e);
    }
  }

  private void commit(WriteTxn tw, long applied) {
    if (currentRev != tw.beginRev) {
      throw new IllegalStateException("revision moved under a write txn: " + currentRev + " != " + tw.beginRev);
    }
    boolean changed = tw.changes() > 0;
    if (!changed && applied == 0 && tw.batch.count() == 0) {
      return;
    }
    try {
      if (applied > 0) {
        tw.batch.put(metaCf, META_CONSISTENT_INDEX, longBytes(applied));
      }
      if (changed) {
        tw.batch.put(metaCf, META_CURRENT_REV, longBytes(tw.rev));
      }
      db.write(writeOptions, tw.batch);
    } catch (RocksDBException e) {
      tw.rollback();
      throw new KvStorageException("commit", e);
    }
    if (applied > 0) {
      appliedIndex = applied;
    }
    if (changed) {
      currentRev = tw.rev;
      leaseTable.onCommitted(tw.events);
      metrics.events.increment(tw.events.size());
      notifyListeners(tw.rev, List.copyOf(tw.events));
    }
  }

  private void notifyListeners(long rev, List<Event> events) {
    for (RevisionListener l : listeners) {
      try {
        l.onRevision(rev, events);
      } catch (RuntimeException e) {
        LOG.error("revision listener {} failed at revision {}", l, rev, e);
      }
    }
  }

  /** etcd Compact (synchronous: physical deletion is done when this returns). Writer thread. */
  public CompactionResponse compact(CompactionRequest req, long appliedIndex) {
    if (appliedIndex < 0) {
      throw new IllegalArgumentException("appliedIndex < 0");
    }
    return timed(metrics.compact, () -> {
      writeLock.lock();
      compactionLock.writeLock().lock();
      try {
        ensureWritable();
        flushStaged();
        long rev = req.getRevision();
        try {
          if (rev <= compactRev) {
            throw EtcdError.COMPACTED.exception();
          }
          if (rev > currentRev) {
            throw EtcdError.FUTURE_REV.exception();
          }
        } catch (EtcdException e) {
          if (appliedIndex > 0) {
            commitMetaOnly(appliedIndex);
          }
          throw e;
        }
        compactRev = rev; // publish first: readers below rev now fail instead of seeing trimmed history
        int removedKeys = Compactor.compactIndex(index, rev);
        try (WriteBatch b = new WriteBatch()) {
          long deleted = Compactor.deleteUnkept(this, index, rev, b);
          b.put(metaCf, META_SCHEDULED_COMPACT, longBytes(rev));
          b.put(metaCf, META_FINISHED_COMPACT, longBytes(rev));
          if (appliedIndex > 0) {
            b.put(metaCf, META_CONSISTENT_INDEX, longBytes(appliedIndex));
          }
          db.write(writeOptions, b);
          metrics.compactedRevisions.increment(deleted);
          LOG.info("compacted at revision {}: {} revisions deleted, {} keys left the index", rev, deleted,
              removedKeys);
        } catch (RocksDBException e) {
          failed = true;
          throw new KvStorageException("compaction commit", e);
        }
        if (appliedIndex > 0) {
          this.appliedIndex = appliedIndex;
        }
        return CompactionResponse.newBuilder().setHeader(ResponseHeader.newBuilder().setRevision(currentRev))
            .build();
      } finally {
        compactionLock.writeLock().unlock();
        writeLock.unlock();
      }
    });
  }

  private <T> T timed(io.micrometer.core.instrument.Timer timer, Supplier<T> body) {
    long start = System.nanoTime();
    try {
      return body.get();
    } catch (EtcdException e) {
      metrics.errors.increment();
      throw e;
    } finally {
      timer.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
  }

  /** Runs a read unless the store is closing; close() waits for reads in flight (RocksDB must outlive them). */
  private <T> T reading(Supplier<T> body) {
    if (!lifecycle.readLock().tryLock() && !awaitRestore()) {
      throw new IllegalStateException("store is closing");
    }
    try {
      ensureOpen();
      return body.get();
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** A reader that met a restore waits for it (bounded); true once it holds the read lock. */
  private boolean awaitRestore() {
    if (!restoring) {
      return false;
    }
    try {
      return lifecycle.readLock().tryLock(RESTORE_WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("store is closed");
    }
  }

  private void ensureWritable() {
    ensureOpen();
    if (failed) {
      throw new KvStorageException("store failed earlier", new RocksDBException("write failed; reopen"));
    }
  }

  /** Closes RocksDB after in-flight reads and writes finish; later calls fail with IllegalStateException. */
  @Override
  public void close() {
    writeLock.lock();
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      endGroupDiscarding();
      closeOpenReaders();
      writeOptions.close();
      closeDb();
      dbOptions.close();
      cfOptions.close();
      blockCache.close();
    } finally {
      lifecycle.writeLock().unlock();
      writeLock.unlock();
    }
  }
}
