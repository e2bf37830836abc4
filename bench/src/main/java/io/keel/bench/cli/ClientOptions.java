package io.keel.bench.cli;

import io.keel.bench.load.LoadConfig;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Connection plus load-shape flags of the request/response benchmarks; names and meaning follow etcd's. */
public final class ClientOptions {

  @Mixin
  ConnectionOptions conn;

  @Option(names = "--clients", defaultValue = "1", description = "Total number of gRPC clients (default: ${DEFAULT-VALUE})")
  int clients;

  @Option(names = "--total", defaultValue = "10000", description = "Total number of requests (default: ${DEFAULT-VALUE})")
  long total;

  @Option(names = "--rate", defaultValue = "0", description = "Maximum requests per second (0 is no limit); latency is measured from the intended send time")
  double rate;

  @Option(names = "--max-outstanding", defaultValue = "1", description = "In-flight requests per client (etcd: 1) (default: ${DEFAULT-VALUE})")
  int maxOutstanding;

  LoadConfig loadConfig() {
    return new LoadConfig(clients, maxOutstanding, total, conn.maxSeconds, rate);
  }
}
