package io.keel.server.raft;

import io.keel.server.DaemonThreads;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests this member proposed and is waiting to see applied. Ids carry the member id in the high 16 bits and
 * a counter seeded from the clock below, so they stay unique across restarts (as etcd's idutil does). A waiter
 * that is not applied within the request timeout fails with etcd's "request timed out"; the entry may still be
 * applied later, which is exactly the uncertainty etcd's clients are told about.
 *
 * <p>Deadlines are kept in registration order (the timeout is the same for all) and swept by one timer thread every
 * {@link #SWEEP_MS}, instead of one scheduled timer per request (a JDK scheduler entry, a canceller and a
 * callback per write on the hot path). The sweep does not depend on the Raft loop: a stuck loop still times out.
 * The deadline queue holds at most the requests registered within one timeout.
 */
final class Proposals implements AutoCloseable {
  static final long SWEEP_MS = 50;
  private static final Logger LOG = LoggerFactory.getLogger(Proposals.class);
  private static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(5);

  private record Deadline(long id, long atNanos) {}

  private final long idPrefix;
  private final AtomicLong counter;
  private final Map<Long, CompletableFuture<Object>> waiting = new ConcurrentHashMap<>();
  private final int maxPending;
  private final long timeoutNanos;
  private final ConcurrentLinkedQueue<Deadline> deadlines = new ConcurrentLinkedQueue<>();
  private final ScheduledExecutorService sweeper;
  private final LongAdder timedOut = new LongAdder();
  private long lastLogNanos = System.nanoTime() - LOG_EVERY_NANOS;

  Proposals(long memberId, int maxPending, long timeoutMs) {
    this.idPrefix = (memberId & 0xFFFFL) << 48;
    this.counter = new AtomicLong((System.currentTimeMillis() << 8) & 0xFFFF_FFFF_FFFFL);
    this.maxPending = maxPending;
    this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    this.sweeper = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("keel-proposal-timeouts"));
    sweeper.scheduleWithFixedDelay(this::expire, SWEEP_MS, SWEEP_MS, TimeUnit.MILLISECONDS);
  }

  /** Fails every waiter whose deadline passed with a {@link TimeoutException} ("request timed out"). */
  void expire() {
    long now = System.nanoTime();
    int expired = 0;
    long firstId = 0;
    for (Deadline d = deadlines.peek(); d != null && d.atNanos() - now <= 0; d = deadlines.peek()) {
      deadlines.poll();
      CompletableFuture<Object> f = waiting.remove(d.id());
      if (f != null) {
        f.completeExceptionally(new TimeoutException());
        firstId = expired == 0 ? d.id() : firstId;
        expired++;
      }
    }
    if (expired > 0) {
      timedOut.add(expired);
      if (now - lastLogNanos >= LOG_EVERY_NANOS) {
        lastLogNanos = now;
        LOG.warn("{} request(s) not applied within the request timeout (first id {}); {} timed out so far",
            expired, Long.toHexString(firstId), timedOut.sum());
      }
    }
  }

  /** Requests that got "request timed out" since start. */
  long timedOut() {
    return timedOut.sum();
  }

  long nextId() {
    return idPrefix | (counter.incrementAndGet() & 0xFFFF_FFFF_FFFFL);
  }

  /** Registers a waiter; null if too many are pending (the caller answers "too many requests"). */
  CompletableFuture<Object> register(long id) {
    if (waiting.size() >= maxPending) {
      return null;
    }
    CompletableFuture<Object> f = new CompletableFuture<>();
    waiting.put(id, f);
    deadlines.add(new Deadline(id, System.nanoTime() + timeoutNanos));
    return f;
  }

  /** Removes and returns the waiter of {@code id} (null if it already timed out or was never here). */
  CompletableFuture<Object> take(long id) {
    return waiting.remove(id);
  }

  /** Whether a client still waits for {@code id} (false once it timed out, failed or was answered). */
  boolean isWaiting(long id) {
    return waiting.containsKey(id);
  }

  void fail(long id, Throwable error) {
    CompletableFuture<Object> f = waiting.remove(id);
    if (f != null) {
      f.completeExceptionally(error);
    }
  }

  /** Fails every waiter (member shutting down). */
  void failAll(Throwable error) {
    waiting.values().forEach(f -> f.completeExceptionally(error));
    waiting.clear();
  }

  int pending() {
    return waiting.size();
  }

  @Override
  public void close() {
    sweeper.shutdownNow();
  }
}
