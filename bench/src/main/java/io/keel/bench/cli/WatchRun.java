package io.keel.bench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.protobuf.ByteString;
import io.keel.bench.load.BenchRun;
import io.keel.bench.load.EtcdConnections;
import io.keel.bench.load.KeyGenerator;
import io.keel.bench.load.LoadConfig;
import io.keel.bench.load.WatchHarness;
import io.keel.bench.report.BenchResult;
import io.keel.bench.report.LatencySummary;
import io.keel.bench.report.SummaryFormatter;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shared flow of {@code watch} and {@code watch-latency}: create watchers, put to the watched keys,
 * wait (bounded) for every event, and report watch creation, put and event-delivery summaries.
 */
final class WatchRun {

  /** How long to wait for outstanding events after the last put. */
  static final long EVENT_DRAIN_MS = 10_000;

  private WatchRun() {}

  /** Runs the flow; returns results by phase: "creation", "put", "delivery". */
  static Map<String, BenchResult> run(String name, ConnectionOptions conn, int streams, int watchersPerStream,
      int watchedKeys, int keySize, int valSize, int putClients, long puts, double putRate, boolean printCreation,
      PrintStream out) throws InterruptedException, IOException {
    if (watchedKeys < 1 || watchedKeys > WatchHarness.MAX_WATCHERS) {
      throw new IllegalArgumentException("watched key total must be in 1.." + WatchHarness.MAX_WATCHERS);
    }
    if (puts < 1 || puts > WatchHarness.MAX_TRACKED_PUTS) {
      throw new IllegalArgumentException("put total must be in 1.." + WatchHarness.MAX_TRACKED_PUTS + ": " + puts);
    }
    KeyGenerator gen = new KeyGenerator(keySize, watchedKeys, true);
    List<ByteString> keys = new ArrayList<>();
    for (int i = 0; i < watchedKeys; i++) {
      keys.add(gen.key(i));
    }
    Map<String, Object> params = conn.params();
    params.put("streams", streams);
    params.put("watchers-per-stream", watchersPerStream);
    params.put("watched-key-total", watchedKeys);
    params.put("key-size", keySize);
    params.put("val-size", valSize);
    Map<String, BenchResult> results = new LinkedHashMap<>();
    long createTimeoutMs = Math.min(conn.maxSeconds * 1000, 60_000);
    try (EtcdConnections conns = conn.connect()) {
      long t0 = System.nanoTime();
      try (WatchHarness h = new WatchHarness(conns, streams, watchersPerStream, keys, (int) puts, createTimeoutMs)) {
        LatencySummary creation = LatencySummary.of(h.creationLatencyNanos(), Map.of(), System.nanoTime() - t0);
        results.put("creation", BenchResult.of(name + " creation", "endpoints", params, creation));
        if (printCreation) {
          out.print("\nWatch creation summary:" + SummaryFormatter.format(creation));
        }
        out.println("\nPut summary:");
        BenchResult put = BenchRun.run(name + " put", "endpoints", params,
            new LoadConfig(putClients, 1, puts, conn.maxSeconds, putRate),
            h.putOperation(conns, valSize, conn.requestTimeoutMs), out, conn.progress());
        results.put("put", put);
        long expected = h.expectedEvents(put.count() + put.errors());
        long got = h.awaitEvents(expected, EVENT_DRAIN_MS);
        Map<String, Long> errors = new LinkedHashMap<>();
        if (got < expected) {
          errors.put("events not received within " + EVENT_DRAIN_MS + " ms after the last put", expected - got);
        }
        if (h.streamErrors() > 0) {
          errors.put("watch streams failed", h.streamErrors());
        }
        LatencySummary delivery = LatencySummary.of(h.deliveryLatencyNanos(), errors, (long) (put.totalSeconds() * 1e9));
        out.printf("%nWatch events: %d received of %d expected (%d watchers)%n", got, expected, h.watchers());
        out.print("\nWatch latency summary (put sent -> event received):" + SummaryFormatter.format(delivery));
        results.put("delivery", BenchResult.of(name + " delivery", "endpoints", params, delivery));
      }
    }
    if (conn.json != null) {
      java.nio.file.Path parent = conn.json.toAbsolutePath().getParent();
      if (parent != null) {
        java.nio.file.Files.createDirectories(parent);
      }
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(conn.json.toFile(), results);
    }
    return results;
  }

  static int exitCode(Map<String, BenchResult> results) {
    return results.values().stream().allMatch(r -> r.errors() == 0) ? 0 : 1;
  }
}
