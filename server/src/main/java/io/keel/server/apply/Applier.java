package io.keel.server.apply;

import io.keel.kvstore.MvccStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of the MVCC store. Request threads hand writes over through a bounded queue and get a
 * future back; one thread applies them in order, each with the next applied index. A full queue is refused at
 * once ("too many requests"), never blocks a gRPC thread. With Raft (the replication issue) this thread becomes
 * the apply loop for committed entries.
 */
public final class Applier implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Applier.class);

  /** A write against the store, given the index it is applied at. */
  @FunctionalInterface
  public interface WriteOp<T> {
    T apply(MvccStore store, long appliedIndex);
  }

  private record Task<T>(WriteOp<T> op, CompletableFuture<T> result, long enqueuedNanos) {
    void run(MvccStore store, long index) {
      try {
        result.complete(op.apply(store, index));
      } catch (Throwable t) {
        result.completeExceptionally(t);
      }
    }
  }

  private static final Task<Void> STOP = new Task<>((s, i) -> null, new CompletableFuture<>(), 0);

  private final MvccStore store;
  private final BlockingQueue<Task<?>> queue;
  private final Thread thread;
  private final Timer applyTimer;
  private final Timer queueWaitTimer;
  private long lastIndex;
  private volatile boolean closed;

  public Applier(MvccStore store, int queueCapacity, MeterRegistry registry) {
    this.store = store;
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    this.lastIndex = store.appliedIndex();
    this.applyTimer = Timer.builder("keel.apply.duration").description("time to apply one write to the store")
        .publishPercentileHistogram().register(registry);
    this.queueWaitTimer = Timer.builder("keel.apply.queue.wait").description("time a write waits for the applier")
        .register(registry);
    Gauge.builder("keel.apply.queue.depth", queue, BlockingQueue::size).register(registry);
    Gauge.builder("keel.apply.index", this, a -> a.lastIndex).register(registry);
    this.thread = new Thread(this::run, "keel-apply");
    this.thread.setDaemon(false);
    this.thread.start();
  }

  /** Queues a write; the future fails with {@link RejectedExecutionException} when the queue is full or closed. */
  public <T> CompletableFuture<T> submit(WriteOp<T> op) {
    CompletableFuture<T> f = new CompletableFuture<>();
    if (closed || !queue.offer(new Task<>(op, f, System.nanoTime()))) {
      f.completeExceptionally(new RejectedExecutionException(closed ? "applier closed" : "apply queue full"));
    }
    return f;
  }

  private void run() {
    try {
      while (true) {
        Task<?> t = queue.take();
        if (t == STOP) {
          break;
        }
        long start = System.nanoTime();
        queueWaitTimer.record(start - t.enqueuedNanos(), TimeUnit.NANOSECONDS);
        t.run(store, ++lastIndex);
        applyTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable t) {
      LOG.error("applier stopped on an unexpected error; writes are refused from now on", t);
      closed = true;
    }
    Task<?> t;
    while ((t = queue.poll()) != null) {
      t.result().completeExceptionally(new RejectedExecutionException("applier closed"));
    }
  }

  /** Applies everything already queued, then stops. */
  @Override
  public void close() throws InterruptedException {
    closed = true;
    queue.put(STOP);
    thread.join(TimeUnit.SECONDS.toMillis(30));
  }
}
