package io.keel.server;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

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
    int applyQueueCapacity,
    int maxConcurrentStreams) {

  /** etcd's default --max-request-bytes: 1.5 MiB. */
  public static final long DEFAULT_MAX_REQUEST_BYTES = 1536L * 1024;
  /** etcd's default --quota-backend-bytes: 2 GiB. */
  public static final long DEFAULT_QUOTA_BACKEND_BYTES = 2L * 1024 * 1024 * 1024;
  /** Hard ceiling etcd also applies to --quota-backend-bytes (8 GiB). */
  public static final long MAX_QUOTA_BACKEND_BYTES = 8L * 1024 * 1024 * 1024;
  /** etcd's default --max-txn-ops. */
  public static final int DEFAULT_MAX_TXN_OPS = 128;
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
    require(applyQueueCapacity > 0, "apply queue capacity must be positive");
    require(maxConcurrentStreams > 0, "max concurrent streams must be positive");
    require(initialClusterState.equals("new") || initialClusterState.equals("existing"),
        "--initial-cluster-state must be 'new' or 'existing', got '" + initialClusterState + "'");
    require(initialCluster.containsKey(name),
        "--initial-cluster has no member named '" + name + "' (it names " + initialCluster.keySet() + ")");
    require(initialCluster.size() == 1,
        "multi-member clusters arrive with Raft replication; --initial-cluster must name only this member for now");
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
    initialCluster = Map.copyOf(initialCluster);
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
