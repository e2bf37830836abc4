package io.keel.watch.workqueue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The work queue's meters, named after client-go's workqueue metrics and tagged with the queue's name:
 * depth, adds, rejections, retries, time queued before a worker got the key, and time a worker held it.
 */
final class WorkQueueMetrics {
  final AtomicInteger depth = new AtomicInteger();
  final AtomicInteger unfinished = new AtomicInteger();
  final Counter adds;
  final Counter rejected;
  final Counter retries;
  final Timer queueLatency;
  final Timer workDuration;

  WorkQueueMetrics(MeterRegistry registry, String name) {
    Gauge.builder("keel.workqueue.depth", depth, AtomicInteger::get).tag("name", name)
        .description("keys queued and not yet handed to a worker").register(registry);
    Gauge.builder("keel.workqueue.unfinished", unfinished, AtomicInteger::get).tag("name", name)
        .description("keys handed to a worker and not yet done").register(registry);
    adds = Counter.builder("keel.workqueue.adds").tag("name", name).register(registry);
    rejected = Counter.builder("keel.workqueue.rejected").tag("name", name)
        .description("adds refused because the queue was full").register(registry);
    retries = Counter.builder("keel.workqueue.retries").tag("name", name).register(registry);
    queueLatency = Timer.builder("keel.workqueue.queue.latency").tag("name", name)
        .description("time from add until a worker got the key").register(registry);
    workDuration = Timer.builder("keel.workqueue.work.duration").tag("name", name)
        .description("time from get until done").register(registry);
  }

  void recordQueueLatency(long nanos) {
    queueLatency.record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
  }

  void recordWork(long nanos) {
    workDuration.record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
  }
}
