package io.keel.server.lease;

import io.keel.server.MemberCluster;

import io.grpc.stub.StreamObserver;
import io.keel.proto.etcdserverpb.LeaseKeepAliveRequest;
import io.keel.proto.etcdserverpb.LeaseKeepAliveResponse;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * A test client that renews one lease every {@code periodMs} over a LeaseKeepAlive stream, like clientv3: if the
 * stream fails it reopens one on the member {@code target} names then. Counts answers with TTL > 0.
 */
final class KeepAliver implements AutoCloseable {
  private final MemberCluster cluster;
  private final long leaseId;
  private final IntSupplier target;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  final AtomicInteger renewed = new AtomicInteger();
  final AtomicInteger zeroTtl = new AtomicInteger();
  final AtomicLong lastRenewNanos = new AtomicLong();
  private StreamObserver<LeaseKeepAliveRequest> up;

  KeepAliver(MemberCluster cluster, long leaseId, long periodMs, IntSupplier target) {
    this.cluster = cluster;
    this.leaseId = leaseId;
    this.target = target;
    timer.scheduleWithFixedDelay(this::renew, 0, periodMs, TimeUnit.MILLISECONDS);
  }

  private synchronized void renew() {
    try {
      if (up == null) {
        up = cluster.leaseAsync(target.getAsInt()).leaseKeepAlive(new StreamObserver<>() {
          @Override
          public void onNext(LeaseKeepAliveResponse r) {
            if (r.getTTL() > 0) {
              renewed.incrementAndGet();
              lastRenewNanos.set(System.nanoTime());
            } else {
              zeroTtl.incrementAndGet();
            }
          }

          @Override
          public void onError(Throwable t) {
            reset();
          }

          @Override
          public void onCompleted() {
            reset();
          }
        });
      }
      up.onNext(LeaseKeepAliveRequest.newBuilder().setID(leaseId).build());
    } catch (RuntimeException e) {
      up = null; // the member is gone; next turn opens a stream elsewhere
    }
  }

  private synchronized void reset() {
    up = null;
  }

  @Override
  public synchronized void close() {
    timer.shutdownNow();
    if (up != null) {
      try {
        up.onCompleted();
      } catch (RuntimeException ignored) {
        // closed already
      }
    }
  }
}
