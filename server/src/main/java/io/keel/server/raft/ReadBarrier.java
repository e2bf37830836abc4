package io.keel.server.raft;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Linearizable reads through Raft's ReadIndex, batched as etcd does: every read that arrives while one
 * ReadIndex is in flight joins the next one. A read completes once this member has applied up to the read
 * index the leader confirmed with a quorum. Owned by the Raft loop thread; no locking.
 */
final class ReadBarrier {
  private record Batch(long ctx, List<CompletableFuture<Void>> reads, long sentNanos) {}

  private record AppliedWait(long index, List<CompletableFuture<Void>> reads) {}

  private final long retryNanos;
  private final int maxPendingReads;
  private List<CompletableFuture<Void>> pending = new ArrayList<>();
  private final Map<Long, Batch> inflight = new HashMap<>();
  private final PriorityQueue<AppliedWait> waitingForApply =
      new PriorityQueue<>((a, b) -> Long.compare(a.index(), b.index()));
  private long nextCtx = 1;

  ReadBarrier(long retryMs, int maxPendingReads) {
    this.retryNanos = retryMs * 1_000_000L;
    this.maxPendingReads = maxPendingReads;
  }

  /** Queues a read; false if too many are waiting already. */
  boolean add(CompletableFuture<Void> read) {
    if (pending.size() >= maxPendingReads) {
      return false;
    }
    pending.add(read);
    return true;
  }

  /**
   * Issues a ReadIndex for the pending reads when none is in flight, and re-issues one that got no answer within
   * the retry interval (a leader change or a lost message).
   */
  void maybeSend(long nowNanos, Consumer<byte[]> readIndex) {
    for (Batch b : List.copyOf(inflight.values())) {
      if (nowNanos - b.sentNanos() > retryNanos) {
        inflight.remove(b.ctx());
        b.reads().removeIf(CompletableFuture::isDone);
        pending.addAll(b.reads());
      }
    }
    pending.removeIf(CompletableFuture::isDone); // timed out meanwhile
    if (!inflight.isEmpty() || pending.isEmpty()) {
      return;
    }
    long ctx = nextCtx++;
    inflight.put(ctx, new Batch(ctx, pending, nowNanos));
    pending = new ArrayList<>();
    readIndex.accept(ByteBuffer.allocate(8).putLong(ctx).array());
  }

  /**
   * Raft confirmed read index {@code index} for the batch with this context; reads that may go now are added to
   * {@code released} (the caller completes them).
   */
  void onReadState(byte[] ctx, long index, long appliedIndex, List<CompletableFuture<Void>> released) {
    if (ctx.length != 8) {
      return;
    }
    Batch b = inflight.remove(ByteBuffer.wrap(ctx).getLong());
    if (b == null) {
      return; // answered after a retry already re-sent it
    }
    if (index <= appliedIndex) {
      released.addAll(b.reads());
    } else {
      waitingForApply.add(new AppliedWait(index, b.reads()));
    }
  }

  /** This member applied up to {@code appliedIndex}: adds the reads that waited for it to {@code released}. */
  void onApplied(long appliedIndex, List<CompletableFuture<Void>> released) {
    while (!waitingForApply.isEmpty() && waitingForApply.peek().index() <= appliedIndex) {
      released.addAll(waitingForApply.poll().reads());
    }
  }

  void failAll(Throwable error) {
    pending.forEach(f -> f.completeExceptionally(error));
    inflight.values().forEach(b -> b.reads().forEach(f -> f.completeExceptionally(error)));
    waitingForApply.forEach(w -> w.reads().forEach(f -> f.completeExceptionally(error)));
    pending.clear();
    inflight.clear();
    waitingForApply.clear();
  }
}
