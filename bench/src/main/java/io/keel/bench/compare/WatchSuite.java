package io.keel.bench.compare;

import com.google.protobuf.ByteString;
import io.keel.bench.cluster.EtcdCluster;
import io.keel.bench.cluster.KeelCluster;
import io.keel.bench.cluster.ProcessCluster;
import io.keel.bench.load.BenchRun;
import io.keel.bench.load.Endpoints;
import io.keel.bench.load.EtcdConnections;
import io.keel.bench.load.LoadConfig;
import io.keel.bench.load.WatchHarness;
import io.keel.bench.report.BenchResult;
import io.keel.bench.report.ProcessCpu;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The "watch" comparison suite. For each watcher count (ascending) and each system in alternation, on the
 * first member of a running cluster: read its RSS (after a full GC for Keel), open N idle watchers on
 * distinct keys ({@link #WATCHERS_PER_STREAM} multiplexed per stream, as etcd clients do), read RSS again
 * (bytes/watcher = delta / N), then put to the watched keys at a bounded rate for a bounded time and record
 * event delivery latency twice: from the put being sent, and from its response being received (the write
 * committed and visible to the writer; this isolates the watch fan-out from the write path). One put writes one
 * key, so writes/s = puts/s = events produced per second (each put matches the watchers of one key).
 * Watchers are closed before the next point; since a process rarely returns memory, counts run ascending so
 * each point's growth exceeds the previous peak.
 */
public final class WatchSuite {

  public static final int WATCHERS_PER_STREAM = 1000;
  public static final int MAX_WATCHERS = 200_000;
  public static final int VAL_SIZE = 64;
  /**
   * Clients putting (each with one request in flight): at least 16, and enough that the target rate needs at
   * most 10 ms per put ({@code rate / 100}), at most 256.
   */
  public static int putClients(double writeRate) {
    return (int) Math.max(16, Math.min(256, Math.ceil(writeRate / 100)));
  }
  /** Time allowed for creating all watchers of a point, and for late events after the puts. */
  public static final long CREATE_TIMEOUT_MS = 180_000;
  public static final long DRAIN_TIMEOUT_MS = 15_000;

  /** One (watcher count, system) result. */
  public record Point(int watchers, String system, int round, long rssBeforeBytes, long rssAfterBytes,
      boolean gcDone, double bytesPerWatcher, double heapBytesPerWatcher, long puts, long putErrors,
      double writesPerSecond, long expectedEvents, long events, Histogram delivery, Histogram deliveryFromCommit,
      long eventsBeforeCommit, long writes, long memberCpuNanos, String threadCpu) {
    /** The member's CPU (all threads) per write (event produced) during the measured load, microseconds. */
    public double memberCpuMicrosPerWrite() {
      return writes <= 0 || memberCpuNanos < 0 ? Double.NaN : memberCpuNanos / 1e3 / writes;
    }

    /** Put sent to event received. */
    public double deliveryMs(double percentile) {
      return delivery.getTotalCount() == 0 ? Double.NaN : delivery.getValueAtPercentile(percentile) / 1e6;
    }

    /** Put response received to event received (0 when the event came first). */
    public double fromCommitMs(double percentile) {
      return deliveryFromCommit.getTotalCount() == 0 ? Double.NaN
          : deliveryFromCommit.getValueAtPercentile(percentile) / 1e6;
    }
  }

  private final CompareRunner.Settings settings;
  private final double writeRate;
  private final int putsPerTxn;
  private final PrintStream log;

  public WatchSuite(CompareRunner.Settings settings, double writeRate, PrintStream log) {
    this(settings, writeRate, 1, log);
  }

  /**
   * @param writeRate writes (puts, i.e. events produced) per second
   * @param putsPerTxn puts per request: 1 = plain Put; k > 1 = a Txn of k puts to k watched keys (one revision
   *     of k events), so the request rate is {@code writeRate / k}
   */
  public WatchSuite(CompareRunner.Settings settings, double writeRate, int putsPerTxn, PrintStream log) {
    if (!(writeRate >= 1 && writeRate <= 100_000)) {
      throw new IllegalArgumentException("--write-rate must be in 1..100000: " + writeRate);
    }
    if (putsPerTxn < 1 || putsPerTxn > WatchHarness.MAX_PUTS_PER_TXN) {
      throw new IllegalArgumentException("--puts-per-txn must be in 1.." + WatchHarness.MAX_PUTS_PER_TXN + ": "
          + putsPerTxn);
    }
    this.settings = settings;
    this.writeRate = writeRate;
    this.putsPerTxn = putsPerTxn;
    this.log = log;
  }

  public int putsPerTxn() {
    return putsPerTxn;
  }

  /** Requests per second: the write rate divided by the puts per request. */
  public double requestRate() {
    return writeRate / putsPerTxn;
  }

  /** Starts the clusters, runs every count on every system, stops the clusters. */
  public CompareRunner.Outcome run(List<Integer> watcherCounts, List<Point> results)
      throws IOException, InterruptedException {
    for (int n : watcherCounts) {
      if (n < WATCHERS_PER_STREAM || n > MAX_WATCHERS || n % WATCHERS_PER_STREAM != 0) {
        throw new IllegalArgumentException("--watchers must be multiples of " + WATCHERS_PER_STREAM + " in "
            + WATCHERS_PER_STREAM + ".." + MAX_WATCHERS + ": " + n);
      }
    }
    List<Integer> counts = watcherCounts.stream().sorted().toList();
    Map<String, ProcessCluster> clusters = new LinkedHashMap<>();
    try {
      for (String system : settings.systems()) {
        Path dir = settings.outDir().resolve("clusters").resolve(system);
        log.printf("starting %s (%d members) in %s%n", system, settings.members(), dir);
        clusters.put(system, system.equals("keel")
            ? KeelCluster.start(dir, settings.members(), settings.keelJar(), settings.keelJvmOptions())
            : EtcdCluster.start(dir, settings.members(), settings.etcdBinary()));
      }
      Map<String, List<List<String>>> commands = new LinkedHashMap<>();
      Map<String, String> endpoints = new LinkedHashMap<>();
      clusters.forEach((s, c) -> {
        commands.put(s, c.commands());
        endpoints.put(s, c.clientEndpoints().get(0));
      });
      for (String system : settings.systems()) {
        warmUp(system, clusters.get(system), counts.get(0));
      }
      for (int n : counts) {
        for (int round = 1; round <= settings.rounds(); round++) {
          for (String system : settings.systems()) {
            Point p = runPoint(system, clusters.get(system), n, round);
            results.add(p);
            log.printf(Locale.ROOT, "watchers %6d %-5s round %d: %8.1f B/watcher (heap %.1f)  %.0f writes/s  from send"
                    + " p50 %7.2f p99 %7.2f p99.9 %7.2f ms  from commit p50 %7.2f p99 %7.2f p99.9 %7.2f ms (%d before"
                    + " commit)  events %d/%d  put errors %d  member CPU %.1f us/write%n    threads: %s%n", n, system,
                round, p.bytesPerWatcher(), p.heapBytesPerWatcher(), p.writesPerSecond(), p.deliveryMs(50),
                p.deliveryMs(99), p.deliveryMs(99.9), p.fromCommitMs(50), p.fromCommitMs(99), p.fromCommitMs(99.9),
                p.eventsBeforeCommit(), p.events(), p.expectedEvents(), p.putErrors(), p.memberCpuMicrosPerWrite(),
                p.threadCpu());
            log.flush();
          }
        }
      }
      return new CompareRunner.Outcome(List.of(), commands, endpoints, List.of());
    } finally {
      clusters.values().forEach(ProcessCluster::close);
    }
  }

  private long settledRss(long pid, boolean jvm) throws IOException, InterruptedException {
    if (jvm) {
      MemoryProbe.gc(pid);
    }
    Thread.sleep(1000);
    return MemoryProbe.rssBytes(pid);
  }

  private static List<ByteString> keys(int watchers) {
    List<ByteString> keys = new ArrayList<>(watchers);
    for (int i = 0; i < watchers; i++) {
      keys.add(ByteString.copyFrom(String.format(Locale.ROOT, "/bench/watch/%08d", i), StandardCharsets.US_ASCII));
    }
    return keys;
  }

  /**
   * Not recorded: exercises the watch path itself (watchers of the smallest point, txn writes to their keys at
   * the target rate) for --warmup-seconds, so the first measured point does not run on code the JIT has not
   * seen (a put-only warm-up leaves the fan-out and the stream writes cold).
   */
  private void warmUp(String system, ProcessCluster cluster, int watchers) throws InterruptedException {
    if (settings.warmupSeconds() == 0) {
      return;
    }
    List<Endpoints.HostPort> target = Endpoints.parseLoopback(cluster.clientEndpoints().get(0));
    List<ByteString> keys = keys(watchers);
    long puts = Math.min(WatchHarness.MAX_TRACKED_PUTS, Math.max(1, Math.round(requestRate() * settings.warmupSeconds())));
    try (EtcdConnections watchConns = EtcdConnections.open(target, Math.min(watchers / WATCHERS_PER_STREAM, 10), false);
        EtcdConnections putConns = EtcdConnections.open(target, 2, false);
        WatchHarness h = new WatchHarness(watchConns, watchers / WATCHERS_PER_STREAM, WATCHERS_PER_STREAM, keys,
            (int) puts, CREATE_TIMEOUT_MS)) {
      BenchResult r = BenchRun.run("watch warm-up", system, Map.of("watchers", watchers),
          new LoadConfig(putClients(requestRate()), 1, puts, settings.warmupSeconds(), requestRate()),
          h.putOperation(putConns, VAL_SIZE, settings.requestTimeoutMs(), putsPerTxn), null, false);
      long got = h.awaitEvents(h.expectedEvents(r.count()), DRAIN_TIMEOUT_MS);
      log.printf(Locale.ROOT, "warmed up %s (not recorded): %d watchers, %.0f writes/s for %d s, events %d/%d,"
              + " from commit p99 %.2f ms%n", system, watchers, r.ratePerSecond() * putsPerTxn,
          settings.warmupSeconds(), got, h.expectedEvents(r.count()),
          h.deliveryFromCommitNanos().getValueAtPercentile(99) / 1e6);
      log.flush();
    }
  }

  private Point runPoint(String system, ProcessCluster cluster, int watchers, int round)
      throws IOException, InterruptedException {
    long pid = cluster.pids().get(0);
    boolean jvm = system.equals("keel");
    List<Endpoints.HostPort> target = Endpoints.parseLoopback(cluster.clientEndpoints().get(0));
    List<ByteString> keys = keys(watchers);
    int streams = watchers / WATCHERS_PER_STREAM;
    long puts = Math.max(1, Math.round(requestRate() * settings.secondsPerPoint()));
    puts = Math.min(puts, settings.totalPerPoint());
    long rssBefore = settledRss(pid, jvm);
    long heapBefore = jvm ? MemoryProbe.heapUsedBytes(pid) : -1;
    try (EtcdConnections watchConns = EtcdConnections.open(target, Math.min(streams, 10), false);
        EtcdConnections putConns = EtcdConnections.open(target, 2, false);
        WatchHarness h = new WatchHarness(watchConns, streams, WATCHERS_PER_STREAM, keys, (int) puts,
            CREATE_TIMEOUT_MS)) {
      long rssAfter = settledRss(pid, jvm);
      long heapAfter = jvm ? MemoryProbe.heapUsedBytes(pid) : -1;
      double heapPerWatcher = heapBefore < 0 || heapAfter < 0 ? Double.NaN
          : MemoryProbe.bytesPerWatcher(heapBefore, heapAfter, watchers);
      Map<String, Long> threadsBefore = WatchThreadCpu.snapshot(pid);
      long cpuBefore = ProcessCpu.cpuNanos(List.of(pid));
      BenchResult r = BenchRun.run("watch delivery", system, Map.of("watchers", watchers),
          new LoadConfig(putClients(requestRate()), 1, puts, settings.secondsPerPoint() + 30, requestRate()),
          h.putOperation(putConns, VAL_SIZE, settings.requestTimeoutMs(), putsPerTxn), null, false);
      long expected = h.expectedEvents(r.count());
      long got = h.awaitEvents(expected, DRAIN_TIMEOUT_MS);
      long cpu = ProcessCpu.cpuNanos(List.of(pid)) - cpuBefore;
      String threads = WatchThreadCpu.format(WatchThreadCpu.delta(threadsBefore, WatchThreadCpu.snapshot(pid),
          10_000_000L), 8);
      return new Point(watchers, system, round, rssBefore, rssAfter, jvm,
          MemoryProbe.bytesPerWatcher(rssBefore, rssAfter, watchers), heapPerWatcher,
          r.count(), r.errors(), r.ratePerSecond() * putsPerTxn, expected, got,
          h.deliveryLatencyNanos(), h.deliveryFromCommitNanos(), h.eventsBeforeCommit(), r.count() * putsPerTxn,
          cpu, threads);
    }
  }
}
