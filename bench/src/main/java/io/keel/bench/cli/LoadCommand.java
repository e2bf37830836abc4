package io.keel.bench.cli;

import io.keel.bench.load.AsyncOperation;
import io.keel.bench.load.BenchRun;
import io.keel.bench.load.EtcdConnections;
import io.keel.bench.report.BenchResult;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/**
 * Base of the request/response KV benchmarks: connects, runs the operation under {@link ClientOptions}, prints
 * the etcd-style summary and optionally the JSON result. Bad input prints a one-line error and exits 2.
 */
abstract class LoadCommand implements Callable<Integer> {

  @Mixin
  ClientOptions client;

  PrintStream out = System.out;

  /** Benchmark name, e.g. "kv put". */
  abstract String name();

  /** Validates flags and builds the operation over the open connections; adds its params. */
  abstract AsyncOperation operation(EtcdConnections conns, Map<String, Object> params) throws Exception;

  /** Runs and returns the result; exceptions propagate (used by tests). */
  BenchResult execute() throws Exception {
    Map<String, Object> params = client.conn.params();
    var config = client.loadConfig();
    try (EtcdConnections conns = client.conn.connect()) {
      AsyncOperation op = operation(conns, params);
      try {
        BenchResult result = BenchRun.run(name(), "endpoints", params, config, op, out, client.conn.progress());
        if (client.conn.json != null) {
          result.writeJson(client.conn.json);
        }
        return result;
      } finally {
        if (op instanceof AutoCloseable c) {
          c.close();
        }
      }
    }
  }

  @Override
  public Integer call() throws Exception {
    LogLevels.quiet();
    try {
      BenchResult r = execute();
      return r.errors() == 0 ? 0 : 1;
    } catch (IllegalArgumentException | IllegalStateException | IOException e) {
      System.err.println("bench " + name() + ": error: " + e.getMessage());
      return 2;
    }
  }
}
