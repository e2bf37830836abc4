package io.keel.server.api;

import io.grpc.stub.StreamObserver;
import io.keel.kvstore.MvccStore;
import io.keel.proto.etcdserverpb.AlarmRequest;
import io.keel.proto.etcdserverpb.AlarmResponse;
import io.keel.proto.etcdserverpb.HashKVRequest;
import io.keel.proto.etcdserverpb.HashKVResponse;
import io.keel.proto.etcdserverpb.MaintenanceGrpc;
import io.keel.proto.etcdserverpb.MoveLeaderRequest;
import io.keel.proto.etcdserverpb.MoveLeaderResponse;
import io.keel.proto.etcdserverpb.StatusRequest;
import io.keel.proto.etcdserverpb.StatusResponse;
import io.keel.proto.etcdserverpb.Member;
import io.keel.server.raft.RaftMember;
import io.grpc.stub.ServerCallStreamObserver;
import io.keel.proto.etcdserverpb.DefragmentRequest;
import io.keel.proto.etcdserverpb.DefragmentResponse;
import io.keel.proto.etcdserverpb.SnapshotRequest;
import io.keel.proto.etcdserverpb.SnapshotResponse;
import io.keel.proto.internal.InternalRequest;
import io.keel.server.maintenance.AlarmStore;
import io.keel.server.maintenance.SnapshotSender;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.List;
import java.util.function.Supplier;

/**
 * etcd's Maintenance service for one member: Status, HashKV, Alarm (through Raft; NOSPACE from the quota),
 * Snapshot (a consistent copy of this member's store, see {@link SnapshotSender}), Defragment and MoveLeader.
 */
public final class MaintenanceService extends MaintenanceGrpc.MaintenanceImplBase {
  /** The etcd API version Keel speaks; etcd clients gate features on the major.minor of this string. */
  public static final String API_VERSION = "3.4.0";
  private static final Logger LOG = LoggerFactory.getLogger(MaintenanceService.class);

  private final MvccStore store;
  private final RaftMember member;
  private final Headers headers;
  private final Supplier<List<Member>> members;
  private final long quotaBackendBytes;
  private final MeterRegistry registry;
  private final Timer defragTimer;

  public MaintenanceService(MvccStore store, RaftMember member, Headers headers, Supplier<List<Member>> members,
      long quotaBackendBytes, MeterRegistry registry) {
    this.registry = registry;
    this.defragTimer = Timer.builder("keel.defrag.duration").description("Maintenance.Defragment time")
        .register(registry);
    Gauge.builder("keel.alarms.active", member, m -> m.alarms().active().size())
        .description("active alarms (NOSPACE, CORRUPT) in the cluster").register(registry);
    this.store = store;
    this.member = member;
    this.headers = headers;
    this.members = members;
    this.quotaBackendBytes = quotaBackendBytes;
  }

  @Override
  public void status(StatusRequest req, StreamObserver<StatusResponse> out) {
    try {
      out.onNext(StatusResponse.newBuilder()
          .setHeader(headers.current())
          .setVersion(API_VERSION)
          .setDbSize(store.dbSizeBytes())
          .setDbSizeInUse(store.dbSizeInUseBytes())
          .setLeader(member.leaderId())
          .setRaftIndex(member.commitIndex())
          .setRaftAppliedIndex(member.appliedIndex())
          .setRaftTerm(member.term())
          .setIsLearner(member.isLearner())
          .setDbSizeQuota(quotaBackendBytes)
          .addAllErrors(member.alarms().active().stream().map(AlarmStore::describe).toList())
          .build());
      out.onCompleted();
    } catch (RuntimeException e) {
      GrpcErrors.fail(out, e);
    }
  }

  @Override
  public void hashKV(HashKVRequest req, StreamObserver<HashKVResponse> out) {
    try {
      HashKVResponse r = store.hashKV(req.getRevision());
      out.onNext(r.toBuilder().setHeader(headers.complete(r.getHeader())).build());
      out.onCompleted();
    } catch (RuntimeException e) {
      GrpcErrors.fail(out, e);
    }
  }

  /** GET answers from this member's applied alarms; ACTIVATE and DEACTIVATE go through Raft, as in etcd. */
  @Override
  public void alarm(AlarmRequest req, StreamObserver<AlarmResponse> out) {
    if (req.getAction() == AlarmRequest.AlarmAction.GET) {
      out.onNext(AlarmResponse.newBuilder().setHeader(headers.current())
          .addAllAlarms(member.alarms().get(req.getAlarm())).build());
      out.onCompleted();
      return;
    }
    CompletableFuture<AlarmResponse> f;
    try {
      f = member.write(InternalRequest.newBuilder().setAlarm(req));
    } catch (RuntimeException e) {
      GrpcErrors.fail(out, e);
      return;
    }
    f.whenComplete((resp, err) -> {
      if (err != null) {
        GrpcErrors.fail(out, err);
      } else {
        out.onNext(resp);
        out.onCompleted();
      }
    });
  }

  @Override
  public void snapshot(SnapshotRequest req, StreamObserver<SnapshotResponse> out) {
    try {
      SnapshotSender.start(store, (ServerCallStreamObserver<SnapshotResponse>) out, headers.current(),
          SnapshotSender.DEFAULT_CHUNK_BYTES, registry);
    } catch (RuntimeException e) {
      GrpcErrors.fail(out, e);
    }
  }

  /** Rewrites this member's RocksDB files (compactRange) so deleted and compacted data leaves the disk. */
  @Override
  public void defragment(DefragmentRequest req, StreamObserver<DefragmentResponse> out) {
    try {
      long before = store.dbSizeBytes();
      long start = System.nanoTime();
      store.defragment();
      long tookNanos = System.nanoTime() - start;
      defragTimer.record(tookNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
      LOG.info("defragmented: {} -> {} bytes in {} ms", before, store.dbSizeBytes(), tookNanos / 1_000_000);
      out.onNext(DefragmentResponse.newBuilder().setHeader(headers.current()).build());
      out.onCompleted();
    } catch (RuntimeException e) {
      GrpcErrors.fail(out, e);
    }
  }

  @Override
  public void moveLeader(MoveLeaderRequest req, StreamObserver<MoveLeaderResponse> out) {
    member.moveLeader(req.getTargetID(), members.get().stream().map(Member::getID).toList()).whenComplete((ok, err) -> {
      if (err != null) {
        GrpcErrors.fail(out, err);
      } else {
        out.onNext(MoveLeaderResponse.newBuilder().setHeader(headers.current()).build());
        out.onCompleted();
      }
    });
  }
}
