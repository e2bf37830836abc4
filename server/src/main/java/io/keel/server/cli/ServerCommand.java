package io.keel.server.cli;

import io.keel.server.KeelServer;
import io.keel.server.ServerConfig;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keel server}: one member, configured with etcd's flag names and defaults. */
@Command(name = "server", mixinStandardHelpOptions = true,
    description = "Run one Keel member. Flags have etcd's names and meaning.")
public final class ServerCommand implements Callable<Integer> {
  @Option(names = "--name", defaultValue = "default", description = "Human-readable name for this member.")
  String name;

  @Option(names = "--data-dir", description = "Path to the data directory (default: ${name}.etcd).")
  Path dataDir;

  @Option(names = "--listen-client-urls", defaultValue = "http://localhost:2379",
      description = "URLs to listen on for client traffic.")
  String listenClientUrls;

  @Option(names = "--advertise-client-urls", defaultValue = "http://localhost:2379",
      description = "Client URLs advertised to the cluster and clients.")
  String advertiseClientUrls;

  @Option(names = "--listen-peer-urls", defaultValue = "http://localhost:2380",
      description = "URLs to listen on for peer traffic.")
  String listenPeerUrls;

  @Option(names = "--initial-advertise-peer-urls", defaultValue = "http://localhost:2380",
      description = "Peer URLs advertised to the rest of the cluster.")
  String initialAdvertisePeerUrls;

  @Option(names = "--initial-cluster",
      description = "Initial cluster configuration, NAME=URL,... (default: ${name}=<initial-advertise-peer-urls>).")
  String initialCluster;

  @Option(names = "--initial-cluster-state", defaultValue = "new", description = "'new' or 'existing'.")
  String initialClusterState;

  @Option(names = "--initial-cluster-token", defaultValue = "etcd-cluster",
      description = "Initial cluster token, mixed into member and cluster ids.")
  String initialClusterToken;

  @Option(names = "--max-request-bytes", defaultValue = "1572864",
      description = "Maximum client request size in bytes the server will accept.")
  long maxRequestBytes;

  @Option(names = "--quota-backend-bytes", defaultValue = "0",
      description = "Backend size quota in bytes (0 = default 2 GiB).")
  long quotaBackendBytes;

  @Option(names = "--listen-metrics-urls", defaultValue = "",
      description = "URLs to serve /metrics (Prometheus) and /health on.")
  String listenMetricsUrls;

  @Option(names = "--max-txn-ops", defaultValue = "128", description = "Maximum operations in one txn.")
  int maxTxnOps;

  @Option(names = "--heartbeat-interval", defaultValue = "100", description = "Time (in milliseconds) of a heartbeat interval.")
  long heartbeatIntervalMs;

  @Option(names = "--election-timeout", defaultValue = "1000", description = "Time (in milliseconds) for an election to timeout.")
  long electionTimeoutMs;

  @Option(names = "--snapshot-count", defaultValue = "100000",
      description = "Number of committed entries to trigger a snapshot (and compact the Raft log).")
  long snapshotCount;

  @Option(names = "--unsafe-testing-faults", defaultValue = "", hidden = true,
      description = "Comma-separated deliberate bugs for checker negative controls. Never use in production.")
  String testingFaults;

  @Override
  public Integer call() throws Exception {
    KeelServer server = KeelServer.start(toConfig());
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "keel-shutdown"));
    server.awaitTermination();
    return server.startupFailure() == null ? 0 : 1;
  }

  ServerConfig toConfig() {
    String cluster = initialCluster != null ? initialCluster : name + "=" + initialAdvertisePeerUrls;
    return new ServerConfig(
        name,
        dataDir != null ? dataDir : Path.of(name + ".etcd"),
        ServerConfig.parseUrls("--listen-client-urls", listenClientUrls),
        ServerConfig.parseUrls("--advertise-client-urls", advertiseClientUrls),
        ServerConfig.parseUrls("--listen-peer-urls", listenPeerUrls),
        ServerConfig.parseUrls("--initial-advertise-peer-urls", initialAdvertisePeerUrls),
        ServerConfig.parseInitialCluster(cluster),
        initialClusterState,
        initialClusterToken,
        maxRequestBytes,
        quotaBackendBytes,
        ServerConfig.parseUrls("--listen-metrics-urls", listenMetricsUrls),
        maxTxnOps,
        10_000,
        heartbeatIntervalMs,
        electionTimeoutMs,
        snapshotCount,
        testingFaults.isBlank() ? Set.of() : Set.of(testingFaults.split(",")));
  }
}
