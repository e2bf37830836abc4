package io.keel.watch;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Supplier;

/** The hub's Micrometer meters: watchers, streams, slow (catch-up) watchers, pipeline backlog, events sent. */
final class WatchMetrics {
  final Counter eventsSent;
  final Counter slowTransitions;
  final Counter droppedRevisions;
  final Counter compactedCancels;

  WatchMetrics(MeterRegistry r, Supplier<Number> watchers, Supplier<Number> streams, Supplier<Number> slow,
      Supplier<Number> pending) {
    eventsSent = Counter.builder("keel.watch.events.sent").description("events written to watch streams")
        .register(r);
    slowTransitions = Counter.builder("keel.watch.slow.transitions")
        .description("watchers moved to catch-up because their stream was backed up").register(r);
    droppedRevisions = Counter.builder("keel.watch.pipeline.overflows")
        .description("revisions not queued to the dispatcher (watchers caught up from the store instead)")
        .register(r);
    compactedCancels = Counter.builder("keel.watch.compacted.cancels")
        .description("watchers canceled because their next revision was compacted").register(r);
    Gauge.builder("keel.watch.watchers", watchers).description("registered watchers").register(r);
    Gauge.builder("keel.watch.streams", streams).description("open watch streams").register(r);
    Gauge.builder("keel.watch.slow.watchers", slow).description("watchers in catch-up (unsynced)").register(r);
    Gauge.builder("keel.watch.pending.revisions", pending)
        .description("revisions waiting for the dispatcher").register(r);
  }
}
