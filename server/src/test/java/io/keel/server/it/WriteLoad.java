package io.keel.server.it;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.PutResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Concurrent writers of unique keys against a {@link ProcessCluster}, bounded in count and time. Writer w
 * starts on target member w % targets and, after a failed put, moves to the next target and writes a new key (a failed
 * put is uncertain: it may or may not have been applied). Records every acknowledged key with its value and
 * the highest revision any acknowledgement carried.
 */
final class WriteLoad implements AutoCloseable {
  private static final long PUT_TIMEOUT_MS = 5000;

  private final ProcessCluster cluster;
  private final String prefix;
  private final int writers;
  private final long maxPuts;
  private final int[] targets;
  private final Map<String, String> acked = new ConcurrentHashMap<>();
  private final AtomicLong maxAckedRevision = new AtomicLong();
  private final AtomicLong attempts = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final Map<String, Long> failureCodes = new ConcurrentHashMap<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean stopping;
  private volatile long deadlineNanos;

  WriteLoad(ProcessCluster cluster, String prefix, int writers, long maxPuts) {
    this(cluster, prefix, writers, maxPuts, java.util.stream.IntStream.range(0, cluster.size()).toArray());
  }

  /** Writers that use only the members {@code targets} (e.g. the majority side of a partition). */
  WriteLoad(ProcessCluster cluster, String prefix, int writers, long maxPuts, int... targets) {
    if (writers < 1 || writers > 256 || maxPuts < 1 || targets.length == 0) {
      throw new IllegalArgumentException("writers in [1, 256], maxPuts >= 1, at least one target member");
    }
    this.targets = targets.clone();
    this.cluster = cluster;
    this.prefix = prefix;
    this.writers = writers;
    this.maxPuts = maxPuts;
  }

  /** Starts the writers; they stop after {@code maxDuration}, {@code maxPuts} attempts, or {@link #stop}. */
  WriteLoad start(Duration maxDuration) {
    deadlineNanos = System.nanoTime() + maxDuration.toNanos();
    for (int w = 0; w < writers; w++) {
      int writer = w;
      Thread t = new Thread(() -> run(writer), "writer-" + w);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    return this;
  }

  private void run(int writer) {
    int target = writer % targets.length;
    long seq = 0;
    while (!stopping && System.nanoTime() - deadlineNanos < 0 && attempts.incrementAndGet() <= maxPuts) {
      String key = prefix + writer + "/" + seq;
      String value = "v" + writer + "-" + seq++;
      try {
        PutResponse r = KVGrpc.newBlockingStub(cluster.channel(targets[target]))
            .withDeadlineAfter(PUT_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))
                .setValue(ByteString.copyFromUtf8(value)).build());
        acked.put(key, value);
        maxAckedRevision.accumulateAndGet(r.getHeader().getRevision(), Math::max);
      } catch (StatusRuntimeException e) {
        failures.incrementAndGet();
        String why = e.getStatus().getDescription();
        failureCodes.merge(e.getStatus().getCode() + (why != null && why.startsWith("etcdserver") ? ": " + why : ""),
            1L, Long::sum);
        target = (target + 1) % targets.length;
        ProcessCluster.sleepMillis(10);
      }
    }
  }

  /** Stops the writers and waits (bounded) for them. */
  void stop() {
    stopping = true;
    awaitEnd(Duration.ofMillis(PUT_TIMEOUT_MS * 2));
  }

  /** Waits until the writers end by themselves (deadline or count), bounded by {@code timeout}. */
  void awaitEnd(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Thread t : threads) {
      try {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
      if (t.isAlive()) {
        throw new AssertionError(t.getName() + " still running after " + timeout);
      }
    }
  }

  /** Waits until at least {@code count} puts are acknowledged or {@code max} passes; returns the ack count. */
  int awaitAcks(int count, Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    while (acked.size() < count && System.nanoTime() - deadline < 0 && threads.stream().anyMatch(Thread::isAlive)) {
      ProcessCluster.sleepMillis(50);
    }
    return acked.size();
  }

  Map<String, String> acked() {
    return Map.copyOf(acked);
  }

  int ackedCount() {
    return acked.size();
  }

  long maxAckedRevision() {
    return maxAckedRevision.get();
  }

  long failures() {
    return failures.get();
  }

  Map<String, Long> failureCodes() {
    return Map.copyOf(failureCodes);
  }

  @Override
  public void close() {
    stopping = true;
  }
}
