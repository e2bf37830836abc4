package io.keel.server.lease;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import io.keel.kvstore.EtcdError;
import io.keel.kvstore.LeaseTable;
import io.keel.proto.etcdserverpb.LeaseGrantRequest;
import io.keel.proto.etcdserverpb.LeaseGrantResponse;
import io.keel.proto.etcdserverpb.LeaseGrpc;
import io.keel.proto.etcdserverpb.LeaseKeepAliveRequest;
import io.keel.proto.etcdserverpb.LeaseKeepAliveResponse;
import io.keel.proto.etcdserverpb.LeaseLeasesRequest;
import io.keel.proto.etcdserverpb.LeaseLeasesResponse;
import io.keel.proto.etcdserverpb.LeaseRevokeRequest;
import io.keel.proto.etcdserverpb.LeaseRevokeResponse;
import io.keel.proto.etcdserverpb.LeaseStatus;
import io.keel.proto.etcdserverpb.LeaseTimeToLiveRequest;
import io.keel.proto.etcdserverpb.LeaseTimeToLiveResponse;
import io.keel.proto.internal.InternalRequest;
import io.keel.server.api.EtcdStatus;
import io.keel.server.api.GrpcErrors;
import io.keel.server.api.Headers;
import io.keel.server.raft.RaftMember;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * etcd's Lease service. Grant and revoke are proposed to Raft (so every member has the same leases and keys);
 * keep-alives and TTL questions are the leader's (its {@link Lessor} knows the deadlines), so a follower relays
 * them to the leader; the lease list is answered locally, as etcd does.
 */
public final class LeaseService extends LeaseGrpc.LeaseImplBase {
  /** etcd's MaxLeaseTTL: a longer TTL is "etcdserver: too large lease TTL". */
  public static final long MAX_LEASE_TTL_SECONDS = 9_000_000_000L;
  private static final Context.Key<Boolean> FORWARDED = Context.key("keel-lease-forwarded");

  /** Bounds: leases tracked, keep-alive streams open, forwarded TTL calls in flight, unanswered relayed renewals. */
  public record Limits(int maxLeases, int maxKeepAliveStreams, int maxForwardedInFlight, int maxUnansweredPerStream) {
    public static final Limits DEFAULT = new Limits(1_000_000, 10_000, 1_000, 64);
  }

  private final LeaseTable table;
  private final RaftMember member;
  private final Headers headers;
  private final Lessor lessor;
  private final LeaderForwarder forwarder;
  private final LeaseIds ids;
  private final long minTtlSeconds;
  private final Limits limits;
  private final AtomicInteger streams = new AtomicInteger();

  LeaseService(LeaseTable table, RaftMember member, Headers headers, Lessor lessor, LeaderForwarder forwarder,
      long minTtlSeconds, Limits limits) {
    this.table = table;
    this.member = member;
    this.headers = headers;
    this.lessor = lessor;
    this.forwarder = forwarder;
    this.ids = new LeaseIds(member.memberId(), System.currentTimeMillis());
    this.minTtlSeconds = minTtlSeconds;
    this.limits = limits;
  }

  /** The service with the interceptor that marks calls another member forwarded (never forwarded again). */
  public ServerServiceDefinition definition() {
    return ServerInterceptors.intercept(this, new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata md,
          ServerCallHandler<Q, R> next) {
        Context ctx = Context.current().withValue(FORWARDED, md.containsKey(LeaderForwarder.FORWARDED));
        return Contexts.interceptCall(ctx, call, md, next);
      }
    });
  }

  private static boolean forwarded() {
    return Boolean.TRUE.equals(FORWARDED.get());
  }

  @Override
  public void leaseGrant(LeaseGrantRequest req, StreamObserver<LeaseGrantResponse> out) {
    try {
      if (req.getTTL() > MAX_LEASE_TTL_SECONDS) {
        throw EtcdError.LEASE_TTL_TOO_LARGE.exception();
      }
      if (table.size() >= limits.maxLeases()) {
        throw EtcdStatus.TOO_MANY_REQUESTS.asRuntimeException();
      }
      long id = req.getID() != 0 ? req.getID() : ids.next();
      long ttl = Math.max(req.getTTL(), minTtlSeconds);
      CompletableFuture<LeaseGrantResponse> f = member.write(InternalRequest.newBuilder()
          .setLeaseGrant(LeaseGrantRequest.newBuilder().setID(id).setTTL(ttl)));
      reply(f, out);
    } catch (RuntimeException e) {
      GrpcErrors.fail(out, e);
    }
  }

  @Override
  public void leaseRevoke(LeaseRevokeRequest req, StreamObserver<LeaseRevokeResponse> out) {
    try {
      CompletableFuture<LeaseRevokeResponse> f = member.write(InternalRequest.newBuilder().setLeaseRevoke(req));
      reply(f, out);
    } catch (RuntimeException e) {
      GrpcErrors.fail(out, e);
    }
  }

  private static <T> void reply(CompletableFuture<T> f, StreamObserver<T> out) {
    f.whenComplete((r, err) -> {
      if (err != null) {
        GrpcErrors.fail(out, err);
      } else {
        out.onNext(r);
        out.onCompleted();
      }
    });
  }

  @Override
  public void leaseTimeToLive(LeaseTimeToLiveRequest req, StreamObserver<LeaseTimeToLiveResponse> out) {
    long remaining;
    try {
      remaining = lessor.remainingSeconds(req.getID());
    } catch (Lessor.NotPrimaryException e) {
      if (forwarded()) {
        out.onError(EtcdStatus.NO_LEADER.asRuntimeException());
      } else {
        forwarder.timeToLive(req, restamped(out));
      }
      return;
    } catch (RuntimeException e) {
      GrpcErrors.fail(out, e);
      return;
    }
    LeaseTimeToLiveResponse.Builder r = LeaseTimeToLiveResponse.newBuilder().setHeader(headers.current())
        .setID(req.getID());
    LeaseTable.Lease lease = table.get(req.getID());
    if (remaining < 0 || lease == null) {
      r.setTTL(-1); // etcd: not found is TTL -1, not an error
    } else {
      r.setTTL(remaining).setGrantedTTL(lease.ttlSeconds());
      if (req.getKeys()) {
        r.addAllKeys(table.keys(req.getID()));
      }
    }
    out.onNext(r.build());
    out.onCompleted();
  }

  /** Passes the leader's answer on with this member's header (as etcd's follower fills its own). */
  private StreamObserver<LeaseTimeToLiveResponse> restamped(StreamObserver<LeaseTimeToLiveResponse> out) {
    return new StreamObserver<>() {
      @Override
      public void onNext(LeaseTimeToLiveResponse r) {
        out.onNext(r.toBuilder().setHeader(headers.current()).build());
      }

      @Override
      public void onError(Throwable t) {
        out.onError(GrpcErrors.toStatus(t));
      }

      @Override
      public void onCompleted() {
        out.onCompleted();
      }
    };
  }

  @Override
  public void leaseLeases(LeaseLeasesRequest req, StreamObserver<LeaseLeasesResponse> out) {
    LeaseLeasesResponse.Builder r = LeaseLeasesResponse.newBuilder().setHeader(headers.current());
    table.all().stream().sorted(Comparator.comparingLong(LeaseTable.Lease::id))
        .forEach(l -> r.addLeases(LeaseStatus.newBuilder().setID(l.id())));
    out.onNext(r.build());
    out.onCompleted();
  }

  @Override
  public StreamObserver<LeaseKeepAliveRequest> leaseKeepAlive(StreamObserver<LeaseKeepAliveResponse> rawOut) {
    if (streams.incrementAndGet() > limits.maxKeepAliveStreams()) {
      streams.decrementAndGet();
      rawOut.onError(EtcdStatus.TOO_MANY_REQUESTS.asRuntimeException());
      return new KeepAliveStream.Ignore();
    }
    return new KeepAliveStream(rawOut, forwarded(), headers, lessor, forwarder, limits.maxUnansweredPerStream(),
        streams::decrementAndGet);
  }

  /** Keep-alive streams open now. */
  public int keepAliveStreams() {
    return streams.get();
  }
}
