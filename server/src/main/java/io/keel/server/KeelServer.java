package io.keel.server;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.keel.kvstore.MvccStore;
import io.keel.kvstore.RequestValidator;
import io.keel.proto.etcdserverpb.Member;
import io.keel.server.api.ClusterService;
import io.keel.server.api.Headers;
import io.keel.server.api.KvService;
import io.keel.server.api.MaintenanceService;
import io.keel.server.apply.Applier;
import io.keel.server.metrics.MetricsHttpServer;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Keel member: the MVCC store, its single writer, the etcd gRPC services on the client URLs and the
 * metrics endpoint. {@link #close()} stops accepting, drains in-flight writes, then closes the store.
 */
public final class KeelServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KeelServer.class);

  private final ServerConfig config;
  private final PrometheusMeterRegistry registry;
  private final MvccStore store;
  private final Applier applier;
  private final List<Server> grpcServers = new ArrayList<>();
  private final List<MetricsHttpServer> metricsServers = new ArrayList<>();
  private final CountDownLatch terminated = new CountDownLatch(1);
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
    this.store = MvccStore.open(MvccStore.Options.of(kvDir).syncWrites(true).meterRegistry(registry).maxTxnOps(config.maxTxnOps()));
    this.applier = new Applier(store, config.applyQueueCapacity(), registry);
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
    MemberIdentity id = MemberIdentity.of(config);
    LongSupplier raftTerm = () -> 1L; // single member: one term until Raft arrives
    Headers headers = new Headers(id.clusterId(), id.memberId(), raftTerm, store::currentRevision);
    Member self = Member.newBuilder().setID(id.memberId()).setName(config.name())
        .addAllPeerURLs(config.initialAdvertisePeerUrls().stream().map(URI::toString).toList())
        .addAllClientURLs(config.advertiseClientUrls().stream().map(URI::toString).toList())
        .build();
    RequestValidator validator = new RequestValidator(config.maxTxnOps());
    MetricCollectingServerInterceptor metrics = new MetricCollectingServerInterceptor(registry);

    for (URI url : config.listenClientUrls()) {
      Server server = NettyServerBuilder.forAddress(new InetSocketAddress(url.getHost(), url.getPort()))
          .maxInboundMessageSize((int) config.maxRequestBytes() + ServerConfig.GRPC_OVERHEAD_BYTES)
          .maxConcurrentCallsPerConnection(config.maxConcurrentStreams())
          .permitKeepAliveTime(5, TimeUnit.SECONDS)
          .permitKeepAliveWithoutCalls(true)
          .addService(new KvService(store, applier, validator, headers, config.maxRequestBytes()))
          .addService(new MaintenanceService(store, headers, raftTerm, quotaBytes()))
          .addService(new ClusterService(headers, List.of(self)))
          .intercept(metrics)
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
    LOG.info("member {} ({}) of cluster {} at revision {}; ready to serve client requests on {}",
        config.name(), Long.toHexString(id.memberId()), Long.toHexString(id.clusterId()),
        store.currentRevision(), config.listenClientUrls());
  }

  private long quotaBytes() {
    return config.quotaBackendBytes() == 0 ? ServerConfig.DEFAULT_QUOTA_BACKEND_BYTES : config.quotaBackendBytes();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public MvccStore store() {
    return store;
  }

  /** The bound client ports, in --listen-client-urls order (useful when a URL asked for port 0). */
  public List<Integer> clientPorts() {
    return grpcServers.stream().map(Server::getPort).toList();
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
    try {
      applier.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    store.close();
    registry.close();
    LOG.info("member {} stopped", config.name());
    terminated.countDown();
  }
}
