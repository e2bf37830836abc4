package io.keel.bench.cli;

import io.keel.bench.load.Endpoints;
import io.keel.bench.load.EtcdConnections;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where to connect and the run's safety limits; shared by every benchmark command. */
public final class ConnectionOptions {

  @Option(names = "--endpoints", defaultValue = "127.0.0.1:2379", description = "gRPC endpoints (loopback only), comma-separated (default: ${DEFAULT-VALUE})")
  String endpoints;

  @Option(names = "--conns", defaultValue = "1", description = "Total number of gRPC connections (default: ${DEFAULT-VALUE})")
  int conns;

  @Option(names = "--target-leader", description = "Connect only to the leader member")
  boolean targetLeader;

  @Option(names = "--max-seconds", defaultValue = "60", description = "Safety limit: stop after this many seconds (default: ${DEFAULT-VALUE})")
  long maxSeconds;

  @Option(names = "--request-timeout-ms", defaultValue = "10000", description = "Deadline of each request (default: ${DEFAULT-VALUE})")
  long requestTimeoutMs;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the result as JSON to FILE")
  Path json;

  @Option(names = "--no-progress", description = "Never draw the progress bar (it is drawn only on a terminal anyway)")
  boolean noProgress;

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
