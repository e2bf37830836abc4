package io.keel.bench.cli;

import io.keel.bench.load.EtcdConnections;
import io.keel.bench.load.Endpoints;
import io.keel.bench.load.LoadConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Connection and load-shape flags shared by the KV benchmarks; names and meaning follow etcd's benchmark. */
public final class ClientOptions {

  @Option(names = "--endpoints", defaultValue = "127.0.0.1:2379", description = "gRPC endpoints (loopback only), comma-separated (default: ${DEFAULT-VALUE})")
  String endpoints;

  @Option(names = "--conns", defaultValue = "1", description = "Total number of gRPC connections (default: ${DEFAULT-VALUE})")
  int conns;

  @Option(names = "--clients", defaultValue = "1", description = "Total number of gRPC clients (default: ${DEFAULT-VALUE})")
  int clients;

  @Option(names = "--target-leader", description = "Connect only to the leader member")
  boolean targetLeader;

  @Option(names = "--total", defaultValue = "10000", description = "Total number of requests (default: ${DEFAULT-VALUE})")
  long total;

  @Option(names = "--rate", defaultValue = "0", description = "Maximum requests per second (0 is no limit); latency is measured from the intended send time")
  double rate;

  @Option(names = "--max-seconds", defaultValue = "60", description = "Safety limit: stop after this many seconds (default: ${DEFAULT-VALUE})")
  long maxSeconds;

  @Option(names = "--max-outstanding", defaultValue = "1", description = "In-flight requests per client (etcd: 1) (default: ${DEFAULT-VALUE})")
  int maxOutstanding;

  @Option(names = "--request-timeout-ms", defaultValue = "10000", description = "Deadline of each request (default: ${DEFAULT-VALUE})")
  long requestTimeoutMs;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the result as JSON to FILE")
  Path json;

  @Option(names = "--no-progress", description = "Never draw the progress bar (it is drawn only on a terminal anyway)")
  boolean noProgress;

  LoadConfig loadConfig() {
    return new LoadConfig(clients, maxOutstanding, total, maxSeconds, rate);
  }

  EtcdConnections connect() {
    if (requestTimeoutMs < 1 || requestTimeoutMs > 3_600_000) {
      throw new IllegalArgumentException("--request-timeout-ms must be in 1..3600000: " + requestTimeoutMs);
    }
    return EtcdConnections.open(Endpoints.parseLoopback(endpoints), conns, targetLeader);
  }

  boolean progress() {
    return !noProgress && System.console() != null;
  }

  Map<String, Object> params() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("endpoints", endpoints);
    p.put("conns", conns);
    p.put("target-leader", targetLeader);
    return p;
  }
}
