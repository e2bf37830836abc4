/**
 * Keel's durable write-ahead log: Raft's log and hard state, persisted before any message that depends on them
 * is sent, and replayed after a crash. It knows nothing about Raft's types (no dependency on raft/); it stores
 * entries as (index, term, opaque bytes).
 *
 * <h2>API</h2>
 * <pre>{@code
 * Wal wal = Wal.open(WalOptions.of(dir).segmentBytes(64 << 20).queueCapacity(4096).meterRegistry(reg)
 *     .metadata(clusterAndMemberIds));               // metadata is used only when dir holds no log yet
 * Recovered r = wal.recovered();                      // metadata(), hardState(), snapshotMarker(), entries()
 * CompletableFuture<Void> f = wal.append(entries, hardStateOrNull); // group commit; completes after fsync
 * wal.writeSync(entries, hardStateOrNull);            // same, caller blocks (Raft's Ready loop)
 * wal.markSnapshot(index, term);                      // log up to index is in a snapshot (fsynced)
 * wal.releaseBefore(index);                           // delete whole segments below index (index <= snap + 1)
 * wal.close();
 * }</pre>
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>A completed future / returned sync call means the write is on disk (FileChannel.force after it).</li>
 *   <li>One {@code append} is one record: its entries and hard state are atomic (all or nothing on replay).</li>
 *   <li>Overwrite rule (etcd's): a write whose first entry has index i replaces i and drops every entry after
 *       it. Writes that would leave a gap, touch indices at or below the snapshot or the persisted commit index,
 *       or move term/commit backwards (or change a vote within a term) are refused with
 *       IllegalArgumentException before reaching disk.</li>
 *   <li>{@code append} never blocks: a full queue throws {@link io.keel.wal.WalQueueFullException}. Blocking
 *       calls wait at most 120 s. After an I/O error the WAL fails every later write (fail-stop).</li>
 *   <li>Every write goes through ONE writer thread that owns the files; it drains up to
 *       {@code maxBatchBytes} of queued requests, writes them, fsyncs once, then completes them.</li>
 * </ul>
 *
 * <h2>On disk</h2>
 * Segments {@code <seq>-<firstIndex>.wal} (16 hex digits each), fixed size, with a 40-byte header (magic
 * {@code KEELWAL\0}, format version, seq, firstIndex, CRC32C). Records: {@code [int length][int crc32c][byte
 * type][payload]}, CRC32C over length, type and payload; types METADATA, BATCH (entries + optional hard state),
 * SNAPSHOT. Every segment starts with a preamble (metadata, current snapshot marker, current hard state), so
 * releasing older segments loses nothing. Preallocation: a background thread zero-fills and fsyncs the NEXT
 * segment as {@code *.wal.spare}; on roll the writer fsyncs the old segment, writes header + preamble into the
 * spare, fsyncs it, renames it into place and fsyncs the directory. Appends then use fdatasync
 * ({@code force(false)}) because size and block map no longer change. A {@code LOCK} file (OS file lock) keeps a
 * second process out.
 *
 * <h2>Recovery</h2>
 * Segments are read in sequence order. A torn tail - a bad record (incomplete, impossible length, CRC mismatch)
 * in the LAST segment with no valid record frame anywhere after it - is zeroed and logged: that is a crash
 * mid-write. Everything else refuses to open with {@link io.keel.wal.WalCorruptionException} naming the file and
 * byte offset: a bad record with a valid one after it, any bad record in a non-last segment, a sequence gap, a
 * segment whose first index does not follow the log before it, entries neither present nor covered by a snapshot
 * (missing first segment), a bad header, or a name/header mismatch. Known limit: after a power loss the disk may
 * persist later pages of an un-acknowledged write but not earlier ones; if that leaves a valid frame after a torn
 * one, the WAL refuses (safe, needs an operator) rather than guess.
 *
 * <h2>Metrics</h2>
 * {@code keel.wal.fsync.latency} (timer), {@code keel.wal.fsyncs}, {@code keel.wal.fsync.records} and
 * {@code keel.wal.fsync.bytes} (per fsync), {@code keel.wal.queue.depth} (gauge), {@code keel.wal.segments.rolled},
 * {@code keel.wal.segments.released}, {@code keel.wal.rejected{reason=queue_full|invalid}}.
 */
package io.keel.wal;
