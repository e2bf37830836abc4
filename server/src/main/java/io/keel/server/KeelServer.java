package io.keel.server;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.keel.kvstore.MvccStore;
import io.keel.kvstore.RequestValidator;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.Member;
import io.keel.proto.etcdserverpb.ResponseHeader;
import io.keel.proto.internal.ClusterMember;
import io.keel.proto.internal.MemberAttributes;
import io.keel.proto.peer.RaftPeerGrpc;
import io.keel.server.api.ClusterService;
import io.keel.server.api.Headers;
import io.keel.server.api.KvService;
import io.keel.server.api.MaintenanceService;
import io.keel.server.api.OffloadInterceptor;
import io.keel.server.api.RequireLeaderInterceptor;
import io.keel.server.cluster.JoinBootstrap;
import io.keel.server.cluster.JoinBootstrap.Joined;
import io.keel.server.cluster.LearnerInterceptor;
import io.keel.server.cluster.MemberErrors;
import io.keel.server.cluster.PromoteForwarder;
import io.keel.server.lease.LeaseService;
import io.keel.server.lease.Leases;
import io.keel.server.maintenance.QuotaGuard;
import io.keel.server.metrics.MetricsHttpServer;
import io.keel.server.raft.RaftMember;
import io.keel.watch.WatchConfig;
import io.keel.watch.WatchHub;
import io.keel.watch.WatchService;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingServerInterceptor;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Keel member: the MVCC store, its single writer, the etcd gRPC services on the client URLs and the
 * metrics endpoint. {@link #close()} stops accepting, drains in-flight writes, then closes the store.
 */
public final class KeelServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KeelServer.class);

  static final int MAX_BLOCKING_CALL_THREADS = 256;
  static final int LOCAL_READ_THREADS = Math.max(2, Runtime.getRuntime().availableProcessors());
  static final int MAX_QUEUED_LOCAL_READS = 4096;

  private final ServerConfig config;
  private final PrometheusMeterRegistry registry;
  private final MvccStore store;
  private final AtomicLong raftTerm = new AtomicLong();
  private RaftMember member;
  private Leases leases;
  private PromoteForwarder promoteForwarder;
  private WatchHub watchHub;
  /** Receives Raft snapshots from peers (one install at a time; the receiver bounds it). */
  private final ExecutorService snapshotExecutor =
      Executors.newSingleThreadExecutor(DaemonThreads.named("keel-snapshot-receive"));
  /** Client calls that may block (maintenance, cluster, lease, watch); bounded, see OffloadInterceptor. */
  private final ThreadPoolExecutor blockingCalls = pool("keel-grpc-call", 0, MAX_BLOCKING_CALL_THREADS,
      new SynchronousQueue<>());
  /** Serializable reads, off the event loop; bounded queue, a full one answers "too many requests". */
  private final ThreadPoolExecutor localReads = pool("keel-read", LOCAL_READ_THREADS, LOCAL_READ_THREADS,
      new ArrayBlockingQueue<>(MAX_QUEUED_LOCAL_READS));
  private final List<Server> grpcServers = new ArrayList<>();
  private final List<Server> peerServers = new ArrayList<>();
  private final List<MetricsHttpServer> metricsServers = new ArrayList<>();
  private final CountDownLatch terminated = new CountDownLatch(1);
  private final CountDownLatch ready = new CountDownLatch(1);
  private volatile Exception startupFailure;
  private volatile boolean closed;

  private KeelServer(ServerConfig config) throws IOException {
    this.config = config;
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);

    Path kvDir = config.dataDir().resolve("member").resolve("kv");
    Files.createDirectories(kvDir);
    // The Raft WAL is the durability point: the store's own writes need no fsync, and after a crash the
    // entries past the store's applied index are replayed from the WAL.
    this.store = MvccStore.open(MvccStore.Options.of(kvDir).syncWrites(false).meterRegistry(registry)
        .maxTxnOps(config.maxTxnOps()));
  }

  private static ThreadPoolExecutor pool(String name, int core, int max, BlockingQueue<Runnable> queue) {
    ThreadPoolExecutor p = new ThreadPoolExecutor(core, max, 60, TimeUnit.SECONDS, queue,
        DaemonThreads.numbered(name));
    p.allowCoreThreadTimeOut(core > 0);
    return p;
  }

  /** Opens the store and starts serving; throws with a clear message if an address is taken. */
  public static KeelServer start(ServerConfig config) throws IOException {
    KeelServer s = new KeelServer(config);
    try {
      s.serve();
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  private void serve() throws IOException {
    Path walDir = config.dataDir().resolve("member").resolve("wal");
    MemberIdentity id;
    if (config.initialClusterState().equals("existing")) {
      long[] recorded = RaftMember.recordedIds(walDir);
      Joined joined = null;
      if (recorded == null) {
        List<URI> others = new ArrayList<>();
        config.initialCluster().forEach((name, urls) -> {
          if (!name.equals(config.name())) {
            others.addAll(urls);
          }
        });
        joined = JoinBootstrap.join(others, config.initialAdvertisePeerUrls(), config.requestTimeoutMs());
        recorded = new long[] {joined.clusterId(), joined.memberId()};
      }
      id = new MemberIdentity(recorded[1], recorded[0], Map.of(config.name(), recorded[1]));
      Headers headers = new Headers(id.clusterId(), id.memberId(), raftTerm::get, store::currentRevision);
      member = RaftMember.start(id.clusterId(), id.memberId(), List.of(),
          joined == null ? List.of() : joined.members(), joined == null ? List.of() : joined.removedIds(), walDir,
          store, headers, raftTerm, settings(config), registry, config.testingFaults().contains("skip-fsync"));
      startServing(id, headers);
      return;
    }
    id = MemberIdentity.of(config);
    Headers headers = new Headers(id.clusterId(), id.memberId(), raftTerm::get, store::currentRevision);
    List<ClusterMember> seed = new ArrayList<>();
    id.memberIds().forEach((name, mid) -> seed.add(ClusterMember.newBuilder().setId(mid)
        .addAllPeerUrls(config.initialCluster().get(name).stream().map(URI::toString).toList()).build()));
    member = RaftMember.start(id.clusterId(), id.memberId(), id.memberIds().values(), seed, List.of(), walDir,
        store, headers, raftTerm, settings(config), registry, config.testingFaults().contains("skip-fsync"));
    startServing(id, headers);
  }

  private void startServing(MemberIdentity id, Headers headers) throws IOException {
    member.onRemoved(this::removedFromCluster);
    leases = Leases.start(store, member, headers, config.heartbeatIntervalMs(), config.electionTimeoutMs(),
        config.requestTimeoutMs(), LeaseService.Limits.DEFAULT, registry);
    for (URI url : config.listenPeerUrls()) {
      Server peer = NettyServerBuilder.forAddress(new InetSocketAddress(url.getHost(), url.getPort()))
          .maxInboundMessageSize(member.maxPeerInboundBytes())
          .permitKeepAliveTime(5, TimeUnit.SECONDS)
          .permitKeepAliveWithoutCalls(true)
          .directExecutor() // the peer handler only decodes and offers to the Raft loop's bounded inbox
          // ... but a snapshot transfer writes files: it gets its own thread, off the transport's event loop.
          .callExecutor(new ServerCallExecutorSupplier() {
            @Override
            public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata headers) {
              return call.getMethodDescriptor().getFullMethodName().equals(RaftPeerGrpc.getSnapshotMethod()
                  .getFullMethodName()) ? snapshotExecutor : null;
            }
          })
          .addService(member.peerService())
          .build();
      try {
        peer.start();
      } catch (IOException e) {
        throw new IOException("cannot listen for peers on " + url + ": " + e.getMessage(), e);
      }
      peerServers.add(peer);
    }
    Thread startup = new Thread(() -> publishThenServeClients(id, headers), "keel-startup-" + config.name());
    startup.setDaemon(true);
    startup.start();
  }

  /**
   * As etcd: a member serves clients only once it has published its attributes through Raft (so it is part of a
   * working cluster); the leader also records the cluster version first.
   */
  private void publishThenServeClients(MemberIdentity id, Headers headers) {
    try {
      member.publish(MemberAttributes.newBuilder().setName(config.name())
          .addAllClientUrls(config.advertiseClientUrls().stream().map(URI::toString).toList()).build(),
          MaintenanceService.API_VERSION);
      if (closed) {
        return;
      }
      serveClients(id, headers);
      ready.countDown();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      startupFailure = e;
      LOG.error("member {} failed to start serving clients", config.name(), e);
      ready.countDown();
      close();
    }
  }

  /**
   * This member applied its own removal: as etcd, it stops after a short delay (so the leader can tell the others
   * the entry is committed) and the process exits.
   */
  private void removedFromCluster() {
    LOG.warn("member {}: {}; stopping", config.name(), MemberErrors.REMOVED_MESSAGE);
    Thread t = new Thread(() -> {
      try {
        Thread.sleep(10 * config.heartbeatIntervalMs());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      close();
    }, "keel-removed-" + config.name());
    t.setDaemon(true);
    t.start();
  }

  private void serveClients(MemberIdentity id, Headers headers) throws IOException {
    RequestValidator validator = new RequestValidator(config.maxTxnOps());
    MetricCollectingServerInterceptor metrics = new MetricCollectingServerInterceptor(registry);
    Supplier<List<Member>> members = () -> ClusterService.members(member.cluster());
    promoteForwarder = new PromoteForwarder(member::leaderId, mid -> member.cluster().members().get(mid),
        config.requestTimeoutMs());
    QuotaGuard quota = new QuotaGuard(quotaBytes(), store::dbSizeBytes, member, member.alarms(), registry);
    watchHub = new WatchHub(store, WatchConfig.defaults((int) config.maxRequestBytes()),
        rev -> headers.complete(ResponseHeader.newBuilder().setRevision(rev).build()),
        registry);
    OffloadInterceptor offload = new OffloadInterceptor(Set.of(KVGrpc.SERVICE_NAME), blockingCalls, registry);
    for (URI url : config.listenClientUrls()) {
      Server server = NettyServerBuilder.forAddress(new InetSocketAddress(url.getHost(), url.getPort()))
          .maxInboundMessageSize((int) config.maxRequestBytes() + ServerConfig.GRPC_OVERHEAD_BYTES)
          .maxConcurrentCallsPerConnection(config.maxConcurrentStreams())
          .permitKeepAliveTime(5, TimeUnit.SECONDS)
          .permitKeepAliveWithoutCalls(true)
          .directExecutor() // callbacks on Netty's event loop; only KV stays there (OffloadInterceptor)
          .addService(new KvService(store, member, validator, headers, config.maxRequestBytes(), localReads)
              .unsafeLocalLinearizableReads(config.testingFaults().contains("local-linearizable-reads")))
          .addService(new MaintenanceService(store, member, headers, members, quotaBytes(), registry))
          .addService(ServerInterceptors.intercept(new ClusterService(headers, member, promoteForwarder),
              promoteForwarder.interceptor()))
          .addService(leases.service())
          .addService(new WatchService(watchHub))
          .intercept(quota)
          .intercept(new LearnerInterceptor(member::isLearner))
          .intercept(new RequireLeaderInterceptor(member::leaderId))
          .intercept(metrics)
          .intercept(offload) // added last, runs first
          .build();
      try {
        server.start();
      } catch (IOException e) {
        throw new IOException("cannot listen for clients on " + url + ": " + e.getMessage(), e);
      }
      grpcServers.add(server);
    }
    for (URI url : config.listenMetricsUrls()) {
      try {
        metricsServers.add(new MetricsHttpServer(url, registry, () -> !closed));
      } catch (IOException e) {
        throw new IOException("cannot listen for metrics on " + url + ": " + e.getMessage(), e);
      }
    }
    LOG.info("member {} ({}) of cluster {} ({} members) at revision {}; ready to serve client requests on {}",
        config.name(), Long.toHexString(id.memberId()), Long.toHexString(id.clusterId()),
        member.cluster().group().size(),
        store.currentRevision(), config.listenClientUrls());
  }

  /** Waits until this member serves clients; false on timeout; throws if start-up failed. */
  public boolean awaitReady(long timeoutMs) throws InterruptedException, IOException {
    boolean done = ready.await(timeoutMs, TimeUnit.MILLISECONDS);
    if (startupFailure != null) {
      throw new IOException("member " + config.name() + " failed to start", startupFailure);
    }
    return done;
  }

  /** Why start-up failed, or null. */
  public Exception startupFailure() {
    return startupFailure;
  }

  /**
   * Raft settings from the flags. The in-memory log keeps etcd's 5,000 entries after a snapshot for slow
   * followers, or half of --snapshot-count when that is smaller (so a small count does bound memory).
   */
  private static RaftMember.Settings settings(ServerConfig c) {
    RaftMember.Settings d = RaftMember.Settings.DEFAULT;
    int electionTicks = (int) Math.max(5, c.electionTimeoutMs() / c.heartbeatIntervalMs());
    long catchUp = Math.min(d.snapshotCatchUpEntries(), c.snapshotCount() / 2);
    return new RaftMember.Settings(c.heartbeatIntervalMs(), electionTicks, c.requestTimeoutMs(),
        d.maxPendingProposals(), d.maxPendingReads(), d.inboxCapacity(), d.maxSizePerMsgBytes(),
        d.maxUncommittedBytes(), c.snapshotCount(), catchUp);
  }

  private long quotaBytes() {
    return config.quotaBackendBytes() == 0 ? ServerConfig.DEFAULT_QUOTA_BACKEND_BYTES : config.quotaBackendBytes();
  }

  /** This member's lease machinery (null until started). */
  public Leases leases() {
    return leases;
  }

  public RaftMember member() {
    return member;
  }

  public void awaitTermination() throws InterruptedException {
    terminated.await();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    LOG.info("member {} stopping", config.name());
    peerServers.forEach(Server::shutdownNow); // peers' streams never end by themselves; Raft copes
    snapshotExecutor.shutdownNow();
    if (watchHub != null) {
      watchHub.close(); // ends watch streams, which never end by themselves
    }
    grpcServers.forEach(Server::shutdown);
    for (Server s : grpcServers) {
      try {
        if (!s.awaitTermination(5, TimeUnit.SECONDS)) {
          s.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        s.shutdownNow();
      }
    }
    metricsServers.forEach(MetricsHttpServer::close);
    blockingCalls.shutdown();
    localReads.shutdown();
    if (promoteForwarder != null) {
      promoteForwarder.close();
    }
    if (leases != null) {
      leases.close();
    }
    if (member != null) {
      member.close();
    }
    store.close();
    registry.close();
    LOG.info("member {} stopped", config.name());
    terminated.countDown();
  }
}
