package io.keel.server.cli;

import io.keel.server.KeelServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keel dev}: the local default a newcomer runs first — a 3-member cluster in one process, clients on
 * 127.0.0.1:2379/22379/32379, peers on 2380/22380/32380, metrics on 2381/22381/32381. A plain {@code etcdctl}
 * (default endpoint 127.0.0.1:2379) works with no flags.
 */
@Command(name = "dev", mixinStandardHelpOptions = true,
    description = "Start a local 3-member cluster on 127.0.0.1:2379/22379/32379 (data in a temp dir unless --data-dir).")
public final class DevCommand implements Callable<Integer> {
  private static final int[] CLIENT_PORTS = {2379, 22379, 32379};

  @Option(names = "--data-dir", description = "Keep data here instead of a fresh temporary directory.")
  Path dataDir;

  @Option(names = "--members", defaultValue = "3", description = "Cluster size: 1 or 3 (default 3).")
  int members;

  @Override
  public Integer call() throws Exception {
    if (members != 1 && members != 3) {
      throw new IllegalArgumentException("--members must be 1 or 3, got " + members);
    }
    Path dir = dataDir != null ? dataDir : Files.createTempDirectory("keel-dev-");
    StringBuilder cluster = new StringBuilder();
    for (int i = 0; i < members; i++) {
      cluster.append(i == 0 ? "" : ",").append(name(i)).append("=http://127.0.0.1:").append(CLIENT_PORTS[i] + 1);
    }
    List<KeelServer> servers = new ArrayList<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> servers.forEach(KeelServer::close), "keel-shutdown"));
    for (int i = 0; i < members; i++) {
      ServerCommand s = new ServerCommand();
      int port = CLIENT_PORTS[i];
      s.name = name(i);
      s.dataDir = dir.resolve(s.name);
      s.listenClientUrls = "http://127.0.0.1:" + port;
      s.advertiseClientUrls = s.listenClientUrls;
      s.listenPeerUrls = "http://127.0.0.1:" + (port + 1);
      s.initialAdvertisePeerUrls = s.listenPeerUrls;
      s.initialCluster = cluster.toString();
      s.initialClusterState = "new";
      s.initialClusterToken = "keel-dev";
      s.maxRequestBytes = 1572864;
      s.quotaBackendBytes = 0;
      s.listenMetricsUrls = "http://127.0.0.1:" + (port + 2);
      s.maxTxnOps = 128;
      s.heartbeatIntervalMs = 100;
      s.electionTimeoutMs = 1000;
      s.snapshotCount = 100_000; // the fields picocli would default (ServerCommand's @Option defaults)
      s.testingFaults = "";
      servers.add(KeelServer.start(s.toConfig()));
    }
    boolean led = true;
    for (KeelServer server : servers) {
      led &= server.awaitReady(30_000);
    }
    System.out.printf("""
        Keel dev cluster is up: %d member(s)%s; data in %s
          etcd API:  %s
          metrics:   http://127.0.0.1:2381/metrics
          try:       etcdctl put greeting hello && etcdctl get greeting
                     etcdctl --endpoints=%s endpoint status -w table
        Press Ctrl-C to stop.
        """, members, led ? "" : " (not all ready yet)", dir, endpoints(members, ", "), endpoints(members, ","));
    System.out.flush();
    servers.get(0).awaitTermination();
    return 0;
  }

  private static String name(int i) {
    return "keel-dev-" + (i + 1);
  }

  private static String endpoints(int members, String sep) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < members; i++) {
      b.append(i == 0 ? "" : sep).append("127.0.0.1:").append(CLIENT_PORTS[i]);
    }
    return b.toString();
  }
}
