package io.keel.watch.informer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/** An informer's meters, tagged with its name. */
final class InformerMetrics {
  final Counter adds;
  final Counter updates;
  final Counter deletes;
  final Counter relists;
  final Counter reconnects;
  final Counter resyncs;
  final Counter decodeErrors;
  final Counter handlerErrors;
  final Counter duplicatesSkipped;
  final Counter watchResponses;
  final Counter watchFragments;
  final Timer listDuration;
  final AtomicLong lastSyncRevision = new AtomicLong();

  InformerMetrics(MeterRegistry registry, String name, Supplier<Number> cacheSize) {
    adds = event(registry, name, "add");
    updates = event(registry, name, "update");
    deletes = event(registry, name, "delete");
    relists = Counter.builder("keel.informer.relists").tag("name", name)
        .description("full lists after the first (compaction or list failure)").register(registry);
    reconnects = Counter.builder("keel.informer.reconnects").tag("name", name)
        .description("watch or list attempts that failed and were retried after backoff").register(registry);
    resyncs = Counter.builder("keel.informer.resyncs").tag("name", name).register(registry);
    decodeErrors = Counter.builder("keel.informer.decode.errors").tag("name", name).register(registry);
    handlerErrors = Counter.builder("keel.informer.handler.errors").tag("name", name).register(registry);
    duplicatesSkipped = Counter.builder("keel.informer.duplicates.skipped").tag("name", name)
        .description("watch events at or below the last applied revision (never expected)").register(registry);
    watchResponses = Counter.builder("keel.informer.watch.responses").tag("name", name).register(registry);
    watchFragments = Counter.builder("keel.informer.watch.fragments").tag("name", name)
        .description("watch responses that were fragments of a larger one").register(registry);
    listDuration = Timer.builder("keel.informer.list.duration").tag("name", name).register(registry);
    Gauge.builder("keel.informer.cache.size", cacheSize).tag("name", name).register(registry);
    Gauge.builder("keel.informer.last.sync.revision", lastSyncRevision, AtomicLong::get).tag("name", name)
        .register(registry);
  }

  private static Counter event(MeterRegistry registry, String name, String type) {
    return Counter.builder("keel.informer.events").tag("name", name).tag("type", type)
        .description("handler calls by type").register(registry);
  }
}
