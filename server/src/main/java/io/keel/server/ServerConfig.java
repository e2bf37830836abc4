package io.keel.server;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A member's configuration, named after etcd's flags. Parsing and validation live here so that a bad flag
 * fails at start-up with a message naming the flag, never later.
 */
public record ServerConfig(
    String name,
    Path dataDir,
    List<URI> listenClientUrls,
    List<URI> advertiseClientUrls,
    List<URI> listenPeerUrls,
    List<URI> initialAdvertisePeerUrls,
    Map<String, List<URI>> initialCluster,
    String initialClusterState,
    String initialClusterToken,
    long maxRequestBytes,
    long quotaBackendBytes,
    List<URI> listenMetricsUrls,
    int maxTxnOps,
    int maxConcurrentStreams,
    long heartbeatIntervalMs,
    long electionTimeoutMs,
    long snapshotCount,
    Set<String> testingFaults) {

  /** etcd's default --max-request-bytes: 1.5 MiB. */
  public static final long DEFAULT_MAX_REQUEST_BYTES = 1536L * 1024;
  /** etcd's default --quota-backend-bytes: 2 GiB. */
  public static final long DEFAULT_QUOTA_BACKEND_BYTES = 2L * 1024 * 1024 * 1024;
  /** Hard ceiling etcd also applies to --quota-backend-bytes (8 GiB). */
  public static final long MAX_QUOTA_BACKEND_BYTES = 8L * 1024 * 1024 * 1024;
  /** etcd's default --max-txn-ops. */
  public static final int DEFAULT_MAX_TXN_OPS = 128;
  /** etcd 3.4's default --snapshot-count: applied entries between two snapshots. */
  public static final long DEFAULT_SNAPSHOT_COUNT = 100_000;
  /**
   * Deliberate bugs a test build may switch on (hidden flag {@code --unsafe-testing-faults}), so the chaos
   * checkers can be shown to catch them. Never set in production.
   */
  public static final Set<String> KNOWN_TESTING_FAULTS = Set.of("local-linearizable-reads", "skip-fsync");
  /** gRPC adds this much room above --max-request-bytes, as etcd does, so the server can answer "too large". */
  public static final int GRPC_OVERHEAD_BYTES = 512 * 1024;

  public ServerConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dataDir, "data-dir");
    require(!name.isBlank(), "--name must not be empty");
    require(!listenClientUrls.isEmpty(), "--listen-client-urls must name at least one URL");
    require(maxRequestBytes > 0 && maxRequestBytes <= 64L * 1024 * 1024,
        "--max-request-bytes must be in (0, 64 MiB], got " + maxRequestBytes);
    require(quotaBackendBytes >= 0 && quotaBackendBytes <= MAX_QUOTA_BACKEND_BYTES,
        "--quota-backend-bytes must be in [0, 8 GiB], got " + quotaBackendBytes);
    require(maxTxnOps > 0 && maxTxnOps <= 100_000, "--max-txn-ops must be in [1, 100000], got " + maxTxnOps);
    require(maxConcurrentStreams > 0, "max concurrent streams must be positive");
    require(heartbeatIntervalMs >= 10 && heartbeatIntervalMs <= 10_000,
        "--heartbeat-interval must be in [10, 10000] ms, got " + heartbeatIntervalMs);
    require(electionTimeoutMs >= 5 * heartbeatIntervalMs && electionTimeoutMs <= 50_000,
        "--election-timeout must be at least 5x --heartbeat-interval and at most 50000 ms, got "
            + electionTimeoutMs);
    require(initialClusterState.equals("new") || initialClusterState.equals("existing"),
        "--initial-cluster-state must be 'new' or 'existing', got '" + initialClusterState + "'");
    require(initialCluster.containsKey(name),
        "--initial-cluster has no member named '" + name + "' (it names " + initialCluster.keySet() + ")");
    require(initialCluster.size() <= 7, "--initial-cluster names " + initialCluster.size() + " members; at most 7");
    require(!listenPeerUrls.isEmpty() || initialCluster.size() == 1,
        "--listen-peer-urls must name a URL when --initial-cluster has more than one member");
    for (URI u : listenPeerUrls) {
      checkHttpUrl("--listen-peer-urls", u);
    }
    for (URI u : listenClientUrls) {
      checkHttpUrl("--listen-client-urls", u);
    }
    for (URI u : listenMetricsUrls) {
      checkHttpUrl("--listen-metrics-urls", u);
    }
    listenClientUrls = List.copyOf(listenClientUrls);
    advertiseClientUrls = List.copyOf(advertiseClientUrls);
    listenPeerUrls = List.copyOf(listenPeerUrls);
    initialAdvertisePeerUrls = List.copyOf(initialAdvertisePeerUrls);
    listenMetricsUrls = List.copyOf(listenMetricsUrls);
    require(snapshotCount >= 1 && snapshotCount <= 100_000_000,
        "--snapshot-count must be in [1, 100000000], got " + snapshotCount);
    for (String f : testingFaults) {
      require(KNOWN_TESTING_FAULTS.contains(f),
          "--unsafe-testing-faults: unknown fault '" + f + "' (known: " + KNOWN_TESTING_FAULTS + ")");
    }
    initialCluster = Map.copyOf(initialCluster);
    testingFaults = Set.copyOf(testingFaults);
  }

  /** etcd's request timeout: 5 s plus two election timeouts. */
  public long requestTimeoutMs() {
    return 5000 + 2 * electionTimeoutMs;
  }

  /** Parses a comma-separated URL list as etcd does ("http://a:1,http://b:2"). */
  public static List<URI> parseUrls(String flag, String value) {
    List<URI> out = new ArrayList<>();
    if (value == null || value.isBlank()) {
      return out;
    }
    for (String part : value.split(",")) {
      String s = part.trim();
      if (s.isEmpty()) {
        continue;
      }
      URI u;
      try {
        u = URI.create(s);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(flag + ": '" + s + "' is not a URL: " + e.getMessage());
      }
      checkHttpUrl(flag, u);
      out.add(u);
    }
    return out;
  }

  /** Parses --initial-cluster "n1=http://a:2380,n1=http://b:2380,n2=http://c:2380" into name → peer URLs. */
  public static Map<String, List<URI>> parseInitialCluster(String value) {
    Map<String, List<URI>> out = new LinkedHashMap<>();
    for (String part : value.split(",")) {
      String s = part.trim();
      if (s.isEmpty()) {
        continue;
      }
      int eq = s.indexOf('=');
      if (eq <= 0 || eq == s.length() - 1) {
        throw new IllegalArgumentException("--initial-cluster: '" + s + "' is not NAME=URL");
      }
      out.computeIfAbsent(s.substring(0, eq), k -> new ArrayList<>())
          .addAll(parseUrls("--initial-cluster", s.substring(eq + 1)));
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("--initial-cluster must name at least one member");
    }
    return out;
  }

  private static void checkHttpUrl(String flag, URI u) {
    String scheme = u.getScheme();
    require("http".equals(scheme) || "https".equals(scheme) || "unix".equals(scheme),
        flag + ": '" + u + "' must be an http:// URL");
    require("unix".equals(scheme) || (u.getHost() != null && u.getPort() > 0 && u.getPort() < 65536),
        flag + ": '" + u + "' must name a host and a port");
    require(!"https".equals(scheme), flag + ": TLS (https) is not supported yet: '" + u + "'");
    require(!"unix".equals(scheme), flag + ": unix sockets are not supported yet: '" + u + "'");
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
