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
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
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
 *
 * <p>This class holds the published state, the locks and the public API; the work is done by package-private
 * parts: {@link StoreDb} (RocksDB handles), {@link StoreLifecycle} (open/failed/restoring/closed and the read
 * guard), {@link StoreWriter} (write path, group apply, commit and publish),
 * {@link StoreReads} (range, hashKV, events), {@link Compactor} (compaction), {@link LeaseApply} (lease grant and
 * revoke) and {@link StoreSwap} (checkpoint and restore).
 */
public final class MvccStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MvccStore.class);
  static { RocksDB.loadLibrary(); }

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
  // RocksDB handles (in rocks) and the index are replaced by restoreFrom(), under every lock (readers see old or new).
  final StoreDb rocks;
  KeyIndex index = new KeyIndex();
  final LeaseTable leaseTable = new LeaseTable();
  final StoreMetrics metrics;
  final RequestValidator validator;
  private final TxnEngine txnEngine = new TxnEngine(this);
  final StoreWriter writer = new StoreWriter(this);
  final List<RevisionListener> listeners = new CopyOnWriteArrayList<>();
  final ReentrantLock writeLock = new ReentrantLock();
  final ReentrantReadWriteLock compactionLock = new ReentrantReadWriteLock();
  final StoreLifecycle life = new StoreLifecycle();
  // Published state: written only by the writer thread under writeLock (restore: under every lock); read anywhere.
  volatile long currentRev = 1;
  volatile long compactRev = -1;
  volatile long appliedIndex;
  /** A group is written once it holds this many entries or batch bytes (bounds memory and the batch). */
  static final int GROUP_MAX_ENTRIES = 1024;
  static final long GROUP_MAX_BYTES = 16L << 20;

  private MvccStore(Options options) throws RocksDBException {
    this.options = options;
    this.validator = new RequestValidator(options.maxTxnOps());
    this.rocks = new StoreDb(options);
    recover();
    this.metrics = new StoreMetrics(options.meterRegistry(), this);
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
    writer.markApplied(index);
  }

  /**
   * Writes a consistent RocksDB checkpoint (hard links, cheap) of the store into {@code target}, which must not
   * exist, and returns the applied index it holds; the store itself is durable up to that index when this
   * returns. Writer thread (no write runs meanwhile).
   */
  public long checkpoint(Path target) {
    return StoreSwap.checkpoint(this, target);
  }

  /**
   * Replaces the whole content by a checkpoint (a Raft snapshot from the leader): stages a linked copy, closes
   * RocksDB, swaps the directories, reopens and rebuilds the index, then calls every listener's
   * {@link RevisionListener#onRestored}. Readers wait meanwhile and see the old or the new content, never a mix.
   * {@code checkpointDir} is left as it was. Writer thread. On failure the store refuses further use.
   */
  public void restoreFrom(Path checkpointDir) {
    StoreSwap.restoreFrom(this, checkpointDir);
  }

  /** Rebuilds the index and the published state from RocksDB (open and restore). */
  void recover() throws RocksDBException {
    StoreRecovery.State st = StoreRecovery.recover(rocks.db(), rocks.keyColumn(), rocks.metaColumn(), index,
        leaseTable);
    appliedIndex = st.appliedIndex();
    compactRev = st.compactRev();
    currentRev = st.currentRev();
    LOG.info("opened MVCC store {}: {} revisions, {} keys, revision {}, compact revision {}, applied index {}",
        options.dataDir(), st.revisions(), index.size(), currentRev, compactRev, appliedIndex);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] longBytes(long v) {
    byte[] b = new byte[8];
    Revisions.putLong(b, 0, v);
    return b;
  }

  // ---- package-private accessors for the helpers ----

  Options options() {
    return options;
  }

  KeyIndex index() {
    return index;
  }

  RocksDB db() {
    return rocks.db();
  }

  ColumnFamilyHandle keyColumn() {
    return rocks.keyColumn();
  }

  ColumnFamilyHandle metaColumn() {
    return rocks.metaColumn();
  }

  /** Runs {@code body} with RocksDB guaranteed open (fails with IllegalStateException once closing). */
  <T> T guarded(Supplier<T> body) {
    return life.reading(body);
  }

  /** Tracks a reader holding RocksDB handles (a snapshot stream); close() closes it before RocksDB. */
  void trackReader(AutoCloseable reader) {
    rocks.trackReader(reader);
  }

  void untrackReader(AutoCloseable reader) {
    rocks.untrackReader(reader);
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
    return rocks.read(main, sub);
  }

  // ---- reads ----

  /** etcd Range. Any thread. */
  public RangeResponse range(RangeRequest req) {
    return life.reading(() -> StoreReads.range(this, req));
  }

  /** etcd HashKV at a revision (0 = current). Any thread. */
  public HashKVResponse hashKV(long revision) {
    return life.reading(() -> StoreReads.hashKV(this, revision));
  }

  /**
   * Committed events with revisions in [fromRev, toRev] (toRev is capped at the current revision), in revision
   * order, for watchers catching up. Stops on a revision boundary once {@code maxEvents} are collected (a
   * single revision is never split, so one large revision may exceed it). With {@code withPrevKv}, each
   * event carries the key's value at its mod_revision - 1 unless that revision is compacted (etcd's watch rule;
   * the same as {@link #withPrevKv} gives a live event). Throws COMPACTED if fromRev is below the compact revision. Any thread.
   */
  public List<Event> events(long fromRev, long toRev, boolean withPrevKv, int maxEvents) {
    return life.reading(() -> StoreReads.events(this, fromRev, toRev, withPrevKv, maxEvents));
  }

  /**
   * The value {@code key} had just before revision {@code modRevision} (as of {@code modRevision - 1}), or null
   * if it did not exist then or that revision is compacted: what etcd's watch server reads for a watcher with
   * prev_kv, since committed events carry none. Any thread.
   */
  public KeyValue previousKv(com.google.protobuf.ByteString key, long modRevision) {
    return life.reading(() -> StoreReads.previousKv(this, key, modRevision));
  }

  /**
   * {@code ev} with its prev_kv filled in by {@link #previousKv} (the same event if it is a create, already has
   * one, or the previous value is gone). Any thread.
   */
  public Event withPrevKv(Event ev) {
    if (ev.hasPrevKv() || (ev.getType() == Event.EventType.PUT && ev.getKv().getVersion() == 1)) {
      return ev; // etcd's IsCreateEvent: a created key has no previous value
    }
    KeyValue prev = previousKv(ev.getKv().getKey(), ev.getKv().getModRevision());
    return prev == null ? ev : ev.toBuilder().setPrevKv(prev).build();
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
    return life.reading(() -> rocks.property(name));
  }

  /**
   * etcd's defragment: rewrites every column family (RocksDB compactRange) so space freed by deletes and
   * compaction is returned and {@link #dbSizeBytes()} shrinks. Any thread; slow, writes go on meanwhile.
   */
  public void defragment() {
    life.reading(() -> {
      rocks.compactAll();
      return null;
    });
  }

  /**
   * Flushes RocksDB's memtables to disk beside the writer (any thread; writes go on meanwhile). A {@link
   * #checkpoint} right after only has to flush what was written since, so the writer thread is held for that
   * small remainder instead of the whole memtable (seconds-long stalls of the Raft thread otherwise).
   */
  public void flushMemtables() {
    life.reading(() -> {
      rocks.flushMemtables();
      return null;
    });
  }

  /** Writes one batch (built by {@code fill}) with the applied index, as the writer thread. For ServerRecords. */
  void commitBatch(java.util.function.Consumer<WriteBatch> fill, long appliedIndex) {
    writer.commitBatch(fill, appliedIndex);
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
    return writer.write(metrics.put, appliedIndex, tw -> {
      validator.checkPut(req);
      if (req.getLease() != 0 && !leaseExists(req.getLease())) {
        throw EtcdError.LEASE_NOT_FOUND.exception();
      }
      return tw.put(req);
    });
  }

  /** etcd DeleteRange. Writer thread. */
  public DeleteRangeResponse deleteRange(DeleteRangeRequest req, long appliedIndex) {
    return writer.write(metrics.deleteRange, appliedIndex, tw -> {
      validator.checkDeleteRange(req);
      return tw.deleteRange(req);
    });
  }

  /** etcd Txn: compares and all ops at one revision. Writer thread. */
  public TxnResponse txn(TxnRequest req, long appliedIndex) {
    return writer.write(metrics.txn, appliedIndex, tw -> {
      validator.checkTxn(req);
      return txnEngine.apply(req, tw);
    });
  }

  /**
   * etcd's lease grant apply: records lease {@code leaseId} with its TTL (already raised to the minimum by the
   * proposer) in the same batch as {@code appliedIndex}. LEASE_EXIST if it is already granted. Writer thread.
   */
  public void leaseGrant(long leaseId, long ttlSeconds, long appliedIndex) {
    LeaseApply.grant(this, leaseId, ttlSeconds, appliedIndex);
  }

  /**
   * etcd's lease revoke apply: deletes every key attached to the lease in ONE revision and the lease record, in
   * one batch with {@code appliedIndex}. Returns the header (the new revision if keys were deleted).
   * LEASE_NOT_FOUND if no such lease. Writer thread.
   */
  public ResponseHeader leaseRevoke(long leaseId, long appliedIndex) {
    return LeaseApply.revoke(this, leaseId, appliedIndex);
  }

  /**
   * Starts group apply: the following puts, deletes and txns (each with its Raft index) are staged in one
   * RocksDB write batch, each reading what the earlier ones wrote, and are written, published (current revision,
   * applied index) and announced to listeners (each revision in order) by {@link #commitGroup()}. Any other
   * write (compaction, leases, server records, checkpoint) first writes what is staged. Nothing staged is visible
   * to readers before the batch is written. Writer thread.
   */
  public void beginGroup() {
    writer.beginGroup();
  }

  /** Writes what the group staged in one batch, publishes it, notifies listeners and ends group mode. */
  public void commitGroup() {
    writer.commitGroup();
  }

  /** Whether a write group is open (writer thread). */
  public boolean inGroup() {
    return writer.inGroup();
  }

  /**
   * Writes and publishes what the open group staged so far (no-op without a group); the group stays open. For
   * callers about to do something that must see the store up to date (e.g. read its current revision).
   */
  public void flushGroup() {
    writer.flushGroup();
  }

  /**
   * Ends a group without writing it (the writer failed mid-group). If anything was staged the store refuses
   * further writes until reopened (its index holds revisions RocksDB does not); a restart replays them.
   */
  public void abandonGroup() {
    writer.abandonGroup();
  }

  /** etcd Compact (synchronous: physical deletion is done when this returns). Writer thread. */
  public CompactionResponse compact(CompactionRequest req, long appliedIndex) {
    return Compactor.compact(this, req, appliedIndex);
  }

  /** Closes RocksDB after in-flight reads and writes finish; later calls fail with IllegalStateException. */
  @Override
  public void close() {
    writeLock.lock();
    life.lock.writeLock().lock();
    try {
      if (life.closed) {
        return;
      }
      life.closed = true;
      writer.endGroupDiscarding();
      rocks.closeAll();
    } finally {
      life.lock.writeLock().unlock();
      writeLock.unlock();
    }
  }
}
