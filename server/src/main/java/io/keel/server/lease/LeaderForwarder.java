package io.keel.server.lease;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.keel.proto.etcdserverpb.LeaseGrpc;
import io.keel.proto.etcdserverpb.LeaseKeepAliveRequest;
import io.keel.proto.etcdserverpb.LeaseKeepAliveResponse;
import io.keel.proto.etcdserverpb.LeaseTimeToLiveRequest;
import io.keel.proto.etcdserverpb.LeaseTimeToLiveResponse;
import io.keel.proto.internal.MemberAttributes;
import io.keel.server.api.EtcdStatus;
import io.keel.server.cluster.MemberChannels;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;

/**
 * Sends a follower's lease renewals and TTL questions to the leader's published client URL (etcd forwards them to
 * the leader's peer URL over HTTP; Keel uses the leader's own Lease gRPC service). Calls it forwards carry
 * {@link #FORWARDED} so the receiver never forwards them again (no loops while members disagree on the leader).
 * Bounded: forwarded TTL calls in flight, and unanswered renewals per relayed stream.
 */
final class LeaderForwarder implements AutoCloseable {
  static final Metadata.Key<String> FORWARDED = Metadata.Key.of("keel-lease-forwarded", Metadata.ASCII_STRING_MARSHALLER);

  private final LongSupplier leaderId;
  private final LongFunction<MemberAttributes> published;
  private final long requestTimeoutMs;
  private final int maxInFlight;
  private final MemberChannels channels = new MemberChannels();
  private final AtomicInteger inFlight = new AtomicInteger();

  LeaderForwarder(LongSupplier leaderId, LongFunction<MemberAttributes> published, long requestTimeoutMs,
      int maxInFlight) {
    this.leaderId = leaderId;
    this.published = published;
    this.requestTimeoutMs = requestTimeoutMs;
    this.maxInFlight = maxInFlight;
  }

  /** The leader's Lease stub, or null while no leader (or its client URL) is known. */
  private LeaseGrpc.LeaseStub leaderStub(long leader) {
    MemberAttributes attrs = leader == 0 ? null : published.apply(leader);
    ManagedChannel ch = attrs == null || attrs.getClientUrlsCount() == 0 ? null : channels.get(attrs.getClientUrls(0));
    if (ch == null) {
      return null;
    }
    Metadata md = new Metadata();
    md.put(FORWARDED, "1");
    return LeaseGrpc.newStub(ch).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
  }

  /** Asks the leader for a lease's TTL; answers through {@code out} (errors as gRPC statuses). */
  void timeToLive(LeaseTimeToLiveRequest req, StreamObserver<LeaseTimeToLiveResponse> out) {
    LeaseGrpc.LeaseStub stub = leaderStub(leaderId.getAsLong());
    if (stub == null) {
      out.onError(EtcdStatus.NO_LEADER.asRuntimeException());
      return;
    }
    if (inFlight.incrementAndGet() > maxInFlight) {
      inFlight.decrementAndGet();
      out.onError(EtcdStatus.TOO_MANY_REQUESTS.asRuntimeException());
      return;
    }
    stub.withDeadlineAfter(requestTimeoutMs, TimeUnit.MILLISECONDS).leaseTimeToLive(req, new StreamObserver<>() {
      @Override
      public void onNext(LeaseTimeToLiveResponse r) {
        out.onNext(r);
      }

      @Override
      public void onError(Throwable t) {
        inFlight.decrementAndGet();
        out.onError(t);
      }

      @Override
      public void onCompleted() {
        inFlight.decrementAndGet();
        out.onCompleted();
      }
    });
  }

  /**
   * One client keep-alive stream's relay to the leader: renewals go up one stream to the current leader and its
   * answers come back through {@code back}. If the leader changes or its stream fails, the relay opens a new one
   * on the next renewal; renewals lost in between are re-sent by the client (every third of the TTL).
   */
  final class Relay {
    private final StreamObserver<LeaseKeepAliveResponse> back;
    private final int maxUnanswered;
    private final AtomicInteger unanswered = new AtomicInteger();
    private StreamObserver<LeaseKeepAliveRequest> up;
    private long upLeader;
    /** Which up-stream is current; callbacks of an older one are ignored. */
    private long generation;

    Relay(StreamObserver<LeaseKeepAliveResponse> back, int maxUnanswered) {
      this.back = back;
      this.maxUnanswered = maxUnanswered;
    }

    /** Forwards one renewal; false if there is no leader to forward to (the caller answers "no leader"). */
    synchronized boolean send(LeaseKeepAliveRequest req) {
      long leader = leaderId.getAsLong();
      if (up != null && leader != upLeader) {
        closeUp();
      }
      if (up == null) {
        LeaseGrpc.LeaseStub stub = leaderStub(leader);
        if (stub == null) {
          return false;
        }
        upLeader = leader;
        unanswered.set(0);
        long gen = ++generation;
        up = stub.leaseKeepAlive(new StreamObserver<>() {
          @Override
          public void onNext(LeaseKeepAliveResponse r) {
            unanswered.decrementAndGet();
            back.onNext(r);
          }

          @Override
          public void onError(Throwable t) {
            upFailed(gen);
          }

          @Override
          public void onCompleted() {
            upFailed(gen);
          }
        });
      }
      if (unanswered.incrementAndGet() > maxUnanswered) {
        unanswered.decrementAndGet();
        return true; // dropped: the leader is slow; the client renews again soon
      }
      up.onNext(req);
      return true;
    }

    private synchronized void upFailed(long gen) {
      if (gen == generation) {
        up = null;
      }
    }

    private void closeUp() {
      generation++;
      try {
        up.onCompleted();
      } catch (RuntimeException ignored) {
        // already failed
      }
      up = null;
    }

    synchronized void close() {
      if (up != null) {
        closeUp();
      }
    }
  }

  @Override
  public void close() {
    channels.close();
  }
}
