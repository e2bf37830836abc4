package io.keel.bench.cli;

import io.keel.bench.report.BenchResult;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench kv watch}: etcd's watch benchmark — creates --streams x --watch-per-stream watchers over
 * --watched-key-total keys (measuring creation latency), then puts --put-total times to those keys and
 * checks every watcher got every event, with the delivery latency.
 */
@Command(name = "watch", mixinStandardHelpOptions = true, description = "Benchmark watch")
public final class WatchCommand implements Callable<Integer> {

  @Mixin
  ConnectionOptions conn;

  @Option(names = "--streams", defaultValue = "10", description = "Total watch streams (default: ${DEFAULT-VALUE})")
  int streams;

  @Option(names = "--watch-per-stream", defaultValue = "100", description = "Total watchers per stream (default: ${DEFAULT-VALUE})")
  int watchPerStream;

  @Option(names = "--watched-key-total", defaultValue = "1", description = "Total number of keys to be watched (default: ${DEFAULT-VALUE})")
  int watchedKeyTotal;

  @Option(names = "--put-total", defaultValue = "1000", description = "Number of put requests (default: ${DEFAULT-VALUE})")
  long putTotal;

  @Option(names = "--put-rate", defaultValue = "0", description = "Number of keys to put per second (0 is no limit)")
  double putRate;

  @Option(names = "--clients", defaultValue = "1", description = "Concurrent put clients (default: ${DEFAULT-VALUE})")
  int clients;

  @Option(names = "--key-size", defaultValue = "32", description = "Key size of watch request (default: ${DEFAULT-VALUE})")
  int keySize;

  @Option(names = "--val-size", defaultValue = "32", description = "Val size of put request (default: ${DEFAULT-VALUE})")
  int valSize;

  PrintStream out = System.out;

  Map<String, BenchResult> execute() throws InterruptedException, IOException {
    return WatchRun.run("kv watch", conn, streams, watchPerStream, watchedKeyTotal, keySize, valSize, clients,
        putTotal, putRate, true, out);
  }

  @Override
  public Integer call() throws Exception {
    LogLevels.quiet();
    try {
      return WatchRun.exitCode(execute());
    } catch (IllegalArgumentException | IllegalStateException | IOException e) {
      System.err.println("bench kv watch: error: " + e.getMessage());
      return 2;
    }
  }
}
