package io.keel.server.lease;

import io.grpc.ServerServiceDefinition;
import io.keel.kvstore.MvccStore;
import io.keel.kvstore.RevisionListener;
import io.keel.proto.mvccpb.Event;
import java.util.List;
import io.keel.proto.etcdserverpb.LeaseRevokeRequest;
import io.keel.proto.internal.InternalRequest;
import io.keel.server.api.Headers;
import io.keel.server.raft.RaftMember;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * A member's lease machinery, wired once: the {@link Lessor} (expiry on the leader, revokes proposed to Raft),
 * the {@link LeaderForwarder} and the {@link LeaseService}. Start it right after the Raft member; close it before.
 */
public final class Leases implements AutoCloseable {
  private final Lessor lessor;
  private final LeaderForwarder forwarder;
  private final LeaseService service;

  private Leases(Lessor lessor, LeaderForwarder forwarder, LeaseService service) {
    this.lessor = lessor;
    this.forwarder = forwarder;
    this.service = service;
  }

  /** Starts expiry tracking for {@code member}, with etcd's minimum TTL for these Raft timings. */
  public static Leases start(MvccStore store, RaftMember member, Headers headers, long heartbeatMs,
      long electionTimeoutMs, long requestTimeoutMs, LeaseService.Limits limits, MeterRegistry registry) {
    Lessor lessor = new Lessor(store.leases(), member.memberId(), member::leaderId, member::term,
        (id, term) -> member.writeAsLeader(
            InternalRequest.newBuilder().setLeaseRevoke(LeaseRevokeRequest.newBuilder().setID(id)), term),
        Lessor.Settings.of(electionTimeoutMs), registry);
    store.addListener(new RevisionListener() {
      @Override
      public void onRevision(long revision, List<Event> events) {}

      @Override
      public void onRestored(long revision, long compactRevision) {
        lessor.onStoreRestored();
      }
    });
    LeaderForwarder forwarder = new LeaderForwarder(member::leaderId, id -> member.cluster().members().get(id),
        requestTimeoutMs, limits.maxForwardedInFlight());
    LeaseService service = new LeaseService(store.leases(), member, headers, lessor, forwarder,
        minTtlSeconds(heartbeatMs, electionTimeoutMs), limits);
    return new Leases(lessor, forwarder, service);
  }

  /**
   * etcd's minimum lease TTL: 1.5 election timeouts (in whole heartbeat ticks, as etcd counts them), rounded up to
   * whole seconds, so a lease outlives a leader election.
   */
  public static long minTtlSeconds(long heartbeatMs, long electionTimeoutMs) {
    long electionTicks = Math.max(1, electionTimeoutMs / heartbeatMs);
    long minTtlMs = (3 * electionTicks / 2) * heartbeatMs;
    return (minTtlMs + 999) / 1000;
  }

  public ServerServiceDefinition service() {
    return service.definition();
  }

  public Lessor lessor() {
    return lessor;
  }

  public LeaseService leaseService() {
    return service;
  }

  @Override
  public void close() {
    lessor.close();
    forwarder.close();
  }
}
