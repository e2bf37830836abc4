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
 * {@code bench kv watch-latency}: etcd's watch-latency benchmark — puts to one key at --put-rate while
 * --streams x --watchers-per-stream watchers watch it; reports the time from sending a put to each
 * watcher receiving its event.
 */
@Command(name = "watch-latency", mixinStandardHelpOptions = true, description = "Benchmark watch latency")
public final class WatchLatencyCommand implements Callable<Integer> {

  @Mixin
  ConnectionOptions conn;

  @Option(names = "--total", defaultValue = "10000", description = "Total number of put requests (default: ${DEFAULT-VALUE})")
  long total;

  @Option(names = "--put-rate", defaultValue = "100", description = "Number of keys to put per second (default: ${DEFAULT-VALUE})")
  double putRate;

  @Option(names = "--key-size", defaultValue = "32", description = "Key size of watch request (default: ${DEFAULT-VALUE})")
  int keySize;

  @Option(names = "--val-size", defaultValue = "32", description = "Val size of put request (default: ${DEFAULT-VALUE})")
  int valSize;

  @Option(names = "--streams", defaultValue = "10", description = "Total watch streams (default: ${DEFAULT-VALUE})")
  int streams;

  @Option(names = "--watchers-per-stream", defaultValue = "10", description = "Total watchers per stream (default: ${DEFAULT-VALUE})")
  int watchersPerStream;

  PrintStream out = System.out;

  Map<String, BenchResult> execute() throws InterruptedException, IOException {
    return WatchRun.run("kv watch-latency", conn, streams, watchersPerStream, 1, keySize, valSize, 1, total, putRate,
        false, out);
  }

  @Override
  public Integer call() throws Exception {
    LogLevels.quiet();
    try {
      return WatchRun.exitCode(execute());
    } catch (IllegalArgumentException | IllegalStateException | IOException e) {
      System.err.println("bench kv watch-latency: error: " + e.getMessage());
      return 2;
    }
  }
}
