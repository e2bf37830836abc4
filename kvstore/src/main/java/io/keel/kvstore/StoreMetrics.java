package io.keel.kvstore;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Micrometer meters of the MVCC store (names prefixed {@code keel.kv.}). */
final class StoreMetrics {
  final Timer put;
  final Timer range;
  final Timer deleteRange;
  final Timer txn;
  final Timer compact;
  final Timer hash;
  final Timer lease;
  final Counter events;
  final Counter compactedRevisions;
  final Counter errors;
  final DistributionSummary groupEntries;

  StoreMetrics(MeterRegistry r, MvccStore store) {
    put = Timer.builder("keel.kv.put").description("MVCC put apply time").register(r);
    range = Timer.builder("keel.kv.range").description("MVCC range time").register(r);
    deleteRange = Timer.builder("keel.kv.delete").description("MVCC delete range apply time").register(r);
    txn = Timer.builder("keel.kv.txn").description("MVCC txn apply time").register(r);
    compact = Timer.builder("keel.kv.compact").description("MVCC compaction time").register(r);
    lease = Timer.builder("keel.kv.lease").description("lease grant/revoke apply time").register(r);
    hash = Timer.builder("keel.kv.hashkv").description("HashKV time").register(r);
    events = Counter.builder("keel.kv.events").description("committed key events").register(r);
    compactedRevisions = Counter.builder("keel.kv.compacted.revisions")
        .description("revisions deleted by compaction").register(r);
    errors = Counter.builder("keel.kv.errors").description("requests failed with an etcd error").register(r);
    groupEntries = DistributionSummary.builder("keel.kv.group.entries")
        .description("Raft entries written in one RocksDB batch by group apply").register(r);
    Gauge.builder("keel.kv.revision", store, MvccStore::currentRevision).register(r);
    Gauge.builder("keel.kv.compact.revision", store, MvccStore::compactRevision).register(r);
    Gauge.builder("keel.kv.keys", store, MvccStore::keyCount).register(r);
  }

  /** Runs {@code body}, recording its time on {@code timer} and counting an etcd error as one error. */
  <T> T timed(Timer timer, Supplier<T> body) {
    long start = System.nanoTime();
    try {
      return body.get();
    } catch (EtcdException e) {
      errors.increment();
      throw e;
    } finally {
      timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
  }
}
