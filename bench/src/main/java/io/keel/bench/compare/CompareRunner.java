package io.keel.bench.compare;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.keel.bench.cluster.EtcdCluster;
import io.keel.bench.cluster.KeelCluster;
import io.keel.bench.cluster.LocalCluster;
import io.keel.bench.load.BenchRun;
import io.keel.bench.load.Endpoints;
import io.keel.bench.load.EtcdConnections;
import io.keel.bench.load.KeyGenerator;
import io.keel.bench.load.LoadConfig;
import io.keel.bench.report.BenchResult;
import io.keel.bench.report.ProcessCpu;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Runs a suite against several systems (Keel and real etcd) started side by side on loopback, alternating
 * systems for every data point (keel, etcd, keel, etcd, ...) so slow drift of a shared machine hits both
 * alike. Every run is bounded by a request total and a time limit.
 */
public final class CompareRunner {

  /** Known systems. */
  public static final List<String> SYSTEMS = List.of("keel", "etcd");

  /**
   * @param systems which systems to run, in alternation order (subset of {@link #SYSTEMS})
   * @param members cluster size for every system
   * @param outDir report directory; clusters keep their data under {@code outDir/clusters/<system>}
   * @param totalPerPoint request budget of each run
   * @param secondsPerPoint time limit of each run
   * @param rounds how many times each (data point, system) pair runs
   * @param warmupSeconds how long each system is warmed up with puts before its first data point (JIT, caches)
   */
  public record Settings(List<String> systems, int members, Path outDir, Path keelJar, List<String> keelJvmOptions,
      Path etcdBinary, long totalPerPoint, long secondsPerPoint, int rounds, long requestTimeoutMs,
      long warmupSeconds) {
    public Settings {
      if (warmupSeconds < 0 || warmupSeconds > 600) {
        throw new IllegalArgumentException("--warmup-seconds must be in 0..600: " + warmupSeconds);
      }
      if (systems.isEmpty() || !SYSTEMS.containsAll(systems)) {
        throw new IllegalArgumentException("systems must be a non-empty subset of " + SYSTEMS + ": " + systems);
      }
      if (members != 1 && members != 3) {
        throw new IllegalArgumentException("--members must be 1 or 3: " + members);
      }
      if (rounds < 1 || rounds > 10) {
        throw new IllegalArgumentException("--rounds must be in 1..10: " + rounds);
      }
      if (secondsPerPoint < 1 || secondsPerPoint > 600) {
        throw new IllegalArgumentException("--point-seconds must be in 1..600: " + secondsPerPoint);
      }
      if (totalPerPoint < 1 || totalPerPoint > 10_000_000) {
        throw new IllegalArgumentException("--point-total must be in 1..10000000: " + totalPerPoint);
      }
      systems = List.copyOf(systems);
      keelJvmOptions = List.copyOf(keelJvmOptions);
    }
  }

  /**
   * One run's result, with the CPU the system's members and the load generator used during it (null when not
   * measured).
   */
  public record PointResult(KvSuite.DataPoint point, String system, int round, BenchResult result,
      ProcessCpu.Usage cpu) {
    public PointResult(KvSuite.DataPoint point, String system, int round, BenchResult result) {
      this(point, system, round, result, null);
    }
  }

  /** Everything the report needs. */
  public record Outcome(List<PointResult> results, Map<String, List<List<String>>> clusterCommands,
      Map<String, String> endpoints, List<String> equivalentCommands) {}

  /** Upper bound of warm-up puts; the warm-up stops at whichever comes first, this or --warmup-seconds. */
  private static final int WARMUP_MAX_PUTS = 5_000_000;
  /** Clients of the warm-up puts. */
  private static final int WARMUP_CLIENTS = 1000;

  private final Settings settings;
  private final PrintStream log;

  public CompareRunner(Settings settings, PrintStream log) {
    this.settings = settings;
    this.log = log;
  }

  /** Starts the clusters, runs the points, stops the clusters. */
  public Outcome run(List<KvSuite.DataPoint> points) throws IOException, InterruptedException {
    Map<String, LocalCluster> clusters = new LinkedHashMap<>();
    try {
      for (String system : settings.systems()) {
        clusters.put(system, start(system));
      }
      Map<String, List<List<String>>> commands = new LinkedHashMap<>();
      Map<String, String> endpoints = new LinkedHashMap<>();
      clusters.forEach((s, c) -> {
        commands.put(s, c.commands());
        endpoints.put(s, String.join(",", c.clientEndpoints()));
      });
      for (String system : settings.systems()) {
        prepare(system, endpoints.get(system));
      }
      List<PointResult> results = new ArrayList<>();
      List<String> equivalent = new ArrayList<>();
      for (KvSuite.DataPoint p : points) {
        for (String system : settings.systems()) {
          equivalent.add("# " + p.id() + " on " + system + "\nbin/keel bench " + String.join(" ",
              p.equivalentCommand(endpoints.get(system), settings.totalPerPoint(), settings.secondsPerPoint())));
        }
        for (int round = 1; round <= settings.rounds(); round++) {
          for (String system : settings.systems()) {
            ProcessCpu.Mark mark = ProcessCpu.Mark.start(clusters.get(system).pids());
            BenchResult r = runPoint(p, system, endpoints.get(system));
            ProcessCpu.Usage cpu = mark.end(r.count());
            results.add(new PointResult(p, system, round, r, cpu));
            log.printf(Locale.ROOT, "%-12s %-5s round %d: %10.1f req/s  p50 %8.3f ms  p99 %8.3f ms  errors %d"
                    + "  cpu/op: members %.3f ms, load tool %.3f ms  host steal %.0f %%%n",
                p.id(), system, round, r.ratePerSecond(), r.percentile("50") * 1000, r.percentile("99") * 1000,
                r.errors(), cpu.serverMsPerOp(), cpu.loadMsPerOp(), cpu.hostStealFraction() * 100);
            log.flush();
          }
        }
      }
      return new Outcome(results, commands, endpoints, equivalent);
    } finally {
      clusters.values().forEach(LocalCluster::close);
    }
  }

  private LocalCluster start(String system) throws IOException {
    Path dir = settings.outDir().resolve("clusters").resolve(system);
    log.printf("starting %s (%d member%s) in %s%n", system, settings.members(), settings.members() == 1 ? "" : "s",
        dir);
    return switch (system) {
      case "keel" -> KeelCluster.start(dir, settings.members(), settings.keelJar(), settings.keelJvmOptions());
      case "etcd" -> EtcdCluster.start(dir, settings.members(), settings.etcdBinary());
      default -> throw new IllegalArgumentException("unknown system " + system);
    };
  }

  /** Writes the range key and warms the server up with puts for --warmup-seconds (not recorded). */
  private void prepare(String system, String endpoints) throws InterruptedException {
    Endpoints.HostPort first = Endpoints.parseLoopback(endpoints).get(0);
    ManagedChannel ch = EtcdConnections.channel(first);
    try {
      KVGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS).put(PutRequest.newBuilder()
          .setKey(ByteString.copyFromUtf8(KvSuite.RANGE_KEY))
          .setValue(KeyGenerator.randomValue(KvSuite.VAL_SIZE, new SplittableRandom(1))).build());
    } finally {
      ch.shutdownNow();
    }
    if (settings.warmupSeconds() == 0) {
      return;
    }
    // At the heaviest put point's load (1000 clients): a JIT profile taken at 64 clients left Keel's JVMs
    // recompiling for minutes once the 1000-client point began.
    KvSuite.DataPoint warm = new KvSuite.DataPoint(KvSuite.Workload.PUT, WARMUP_CLIENTS, WARMUP_CLIENTS / 10);
    try (EtcdConnections conns = EtcdConnections.open(Endpoints.parseLoopback(endpoints), warm.conns(), false)) {
      BenchResult r = BenchRun.run("warmup", system, Map.of(),
          new LoadConfig(WARMUP_CLIENTS, 1, WARMUP_MAX_PUTS, settings.warmupSeconds(), 0),
          warm.operation(conns, settings.requestTimeoutMs()), null, false);
      log.printf(Locale.ROOT, "warmed up %s: %d puts, %d errors%n", system, r.count(), r.errors());
    }
  }

  private BenchResult runPoint(KvSuite.DataPoint p, String system, String endpoints) throws InterruptedException {
    try (EtcdConnections conns = EtcdConnections.open(Endpoints.parseLoopback(endpoints), p.conns(), false)) {
      Map<String, Object> params = new LinkedHashMap<>();
      params.put("point", p.id());
      params.put("endpoints", endpoints);
      params.put("conns", p.conns());
      params.put("members", settings.members());
      LoadConfig config = new LoadConfig(p.clients(), 1, settings.totalPerPoint(), settings.secondsPerPoint(), 0);
      return BenchRun.run("kv " + p.workload().label(), system, params, config,
          p.operation(conns, settings.requestTimeoutMs()), null, false);
    }
  }
}
