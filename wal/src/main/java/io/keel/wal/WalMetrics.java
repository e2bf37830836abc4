package io.keel.wal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Collection;

/** The WAL's Micrometer meters (all prefixed {@code keel.wal.}). */
final class WalMetrics {
  final Timer fsyncLatency;
  final Counter fsyncs;
  final DistributionSummary recordsPerFsync;
  final DistributionSummary bytesPerFsync;
  final Counter segmentsRolled;
  final Counter segmentsReleased;
  final Counter rejectedQueueFull;
  final Counter rejectedInvalid;

  WalMetrics(MeterRegistry r, Collection<?> queue) {
    fsyncLatency = Timer.builder("keel.wal.fsync.latency").description("FileChannel.force on the WAL")
        .publishPercentiles(0.5, 0.99).register(r);
    fsyncs = Counter.builder("keel.wal.fsyncs").register(r);
    recordsPerFsync = DistributionSummary.builder("keel.wal.fsync.records")
        .description("records covered by one fsync (group commit)").register(r);
    bytesPerFsync = DistributionSummary.builder("keel.wal.fsync.bytes").baseUnit("bytes").register(r);
    segmentsRolled = Counter.builder("keel.wal.segments.rolled").register(r);
    segmentsReleased = Counter.builder("keel.wal.segments.released").register(r);
    rejectedQueueFull = Counter.builder("keel.wal.rejected").tag("reason", "queue_full").register(r);
    rejectedInvalid = Counter.builder("keel.wal.rejected").tag("reason", "invalid").register(r);
    Gauge.builder("keel.wal.queue.depth", queue, Collection::size).register(r);
  }
}
