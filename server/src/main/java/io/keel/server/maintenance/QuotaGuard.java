package io.keel.server.maintenance;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.keel.kvstore.EtcdError;
import io.keel.proto.etcdserverpb.AlarmRequest;
import io.keel.proto.etcdserverpb.AlarmType;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.proto.internal.InternalRequest;
import io.keel.server.api.GrpcErrors;
import io.keel.server.raft.RaftMember;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import com.google.protobuf.MessageLite;

/**
 * etcd's backend quota on the member receiving a request: a Put, a Txn that puts, or a LeaseGrant that would
 * take the store to {@code --quota-backend-bytes} raises the NOSPACE alarm through Raft (this member's id) and
 * fails with "etcdserver: mvcc: database space exceeded". A gRPC interceptor, so the KV and Lease services stay
 * unaware of it. The store size is sampled at most every {@link #SAMPLE_NANOS} (one volatile read per request).
 */
public final class QuotaGuard implements ServerInterceptor {
  static final long SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  /** etcd charges a lease grant about the size of a stored lease. */
  static final long LEASE_GRANT_COST = 64;
  static final java.util.Set<String> GUARDED_METHODS =
      java.util.Set.of("etcdserverpb.KV/Put", "etcdserverpb.KV/Txn", "etcdserverpb.Lease/LeaseGrant");

  private final long quotaBytes;
  private final LongSupplier dbSizeBytes;
  private final RaftMember member;
  private final AlarmStore alarms;
  private final Counter rejected;
  private volatile long sampledBytes;
  private volatile long sampledAtNanos = System.nanoTime() - 2 * SAMPLE_NANOS;

  public QuotaGuard(long quotaBytes, LongSupplier dbSizeBytes, RaftMember member, AlarmStore alarms,
      MeterRegistry registry) {
    if (quotaBytes <= 0) {
      throw new IllegalArgumentException("quotaBytes must be > 0");
    }
    this.quotaBytes = quotaBytes;
    this.dbSizeBytes = dbSizeBytes;
    this.member = member;
    this.alarms = alarms;
    this.rejected = Counter.builder("keel.quota.rejected").description("writes refused by the backend quota")
        .register(registry);
  }

  /** The request's quota cost, or -1 if the quota does not apply to it (reads, deletes, other calls). */
  static long cost(String fullMethod, Object request) {
    return switch (fullMethod) {
      case "etcdserverpb.KV/Put" -> AlarmStore.QuotaCost.ofPut((PutRequest) request);
      case "etcdserverpb.KV/Txn" -> {
        long c = AlarmStore.QuotaCost.ofTxn((TxnRequest) request);
        yield c > 0 ? c : -1;
      }
      case "etcdserverpb.Lease/LeaseGrant" -> ((MessageLite) request).getSerializedSize() + LEASE_GRANT_COST;
      default -> -1;
    };
  }

  /** Whether {@code cost} more bytes fit under the quota (etcd: size + cost &lt; quota). */
  public boolean available(long cost) {
    long now = System.nanoTime();
    if (now - sampledAtNanos > SAMPLE_NANOS) {
      sampledBytes = dbSizeBytes.getAsLong();
      sampledAtNanos = now;
    }
    return sampledBytes + cost < quotaBytes;
  }

  /** Raises this member's NOSPACE alarm through Raft (unless already raised); completes when applied. */
  CompletableFuture<Object> raiseNoSpace() {
    if (alarms.isActive(member.memberId(), AlarmType.NOSPACE)) {
      return CompletableFuture.completedFuture(null);
    }
    return member.write(InternalRequest.newBuilder().setAlarm(AlarmRequest.newBuilder()
        .setAction(AlarmRequest.AlarmAction.ACTIVATE).setMemberID(member.memberId()).setAlarm(AlarmType.NOSPACE)));
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    ServerCall.Listener<Q> delegate = next.startCall(call, headers);
    if (!GUARDED_METHODS.contains(method)) {
      return delegate;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      private boolean refused;

      @Override
      public void onMessage(Q message) {
        long c = cost(method, message);
        if (c < 0 || available(c)) {
          super.onMessage(message);
          return;
        }
        refused = true;
        rejected.increment();
        raiseNoSpace().whenComplete((ok, err) -> call.close(GrpcErrors.of(EtcdError.NO_SPACE).getStatus(),
            new Metadata()));
      }

      @Override
      public void onHalfClose() {
        if (!refused) {
          super.onHalfClose();
        }
      }
    };
  }
}
