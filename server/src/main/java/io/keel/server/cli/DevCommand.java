package io.keel.server.cli;

import io.keel.server.KeelServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keel dev}: the local default a newcomer runs first. Serves the etcd API on 127.0.0.1:2379 so a plain
 * {@code etcdctl} works with no flags, and /metrics on 127.0.0.1:2381. One member until Raft replication
 * lands (then three: 2379/22379/32379).
 */
@Command(name = "dev", mixinStandardHelpOptions = true,
    description = "Start a local development cluster on 127.0.0.1:2379 (data in a temp dir unless --data-dir).")
public final class DevCommand implements Callable<Integer> {
  @Option(names = "--data-dir", description = "Keep data here instead of a fresh temporary directory.")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    Path dir = dataDir != null ? dataDir : Files.createTempDirectory("keel-dev-");
    ServerCommand s = new ServerCommand();
    s.name = "keel-dev-1";
    s.dataDir = dir.resolve(s.name);
    s.listenClientUrls = "http://127.0.0.1:2379";
    s.advertiseClientUrls = "http://127.0.0.1:2379";
    s.listenPeerUrls = "http://127.0.0.1:2380";
    s.initialAdvertisePeerUrls = "http://127.0.0.1:2380";
    s.initialClusterState = "new";
    s.initialClusterToken = "keel-dev";
    s.maxRequestBytes = 1572864;
    s.quotaBackendBytes = 0;
    s.listenMetricsUrls = "http://127.0.0.1:2381";
    s.maxTxnOps = 128;
    KeelServer server = KeelServer.start(s.toConfig());
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "keel-shutdown"));
    System.out.printf("""
        Keel dev cluster is up (1 member; data in %s).
          etcd API:  127.0.0.1:2379      try: etcdctl put greeting hello && etcdctl get greeting
          metrics:   http://127.0.0.1:2381/metrics
        Press Ctrl-C to stop.
        """, dir);
    System.out.flush();
    server.awaitTermination();
    return 0;
  }
}
