package io.keel.server.raft;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Requests this member proposed and is waiting to see applied. Ids carry the member id in the high 16 bits and
 * a counter seeded from the clock below, so they stay unique across restarts (as etcd's idutil does). A waiter
 * that is not applied within the request timeout fails with etcd's "request timed out"; the entry may still be
 * applied later, which is exactly the uncertainty etcd's clients are told about.
 */
final class Proposals {
  private final long idPrefix;
  private final AtomicLong counter;
  private final Map<Long, CompletableFuture<Object>> waiting = new ConcurrentHashMap<>();
  private final int maxPending;
  private final long timeoutMs;

  Proposals(long memberId, int maxPending, long timeoutMs) {
    this.idPrefix = (memberId & 0xFFFFL) << 48;
    this.counter = new AtomicLong((System.currentTimeMillis() << 8) & 0xFFFF_FFFF_FFFFL);
    this.maxPending = maxPending;
    this.timeoutMs = timeoutMs;
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
    f.orTimeout(timeoutMs, TimeUnit.MILLISECONDS).whenComplete((r, e) -> waiting.remove(id));
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
}
