package io.keel.server.it;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.keel.proto.etcdserverpb.MaintenanceGrpc;
import io.keel.proto.etcdserverpb.StatusRequest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * One etcd-flag-compatible server process (real etcd or Keel) on free loopback ports with its own temp
 * data dir. Starts and waits (bounded) until a gRPC Maintenance.Status call succeeds; stops with SIGTERM
 * ({@link #stop()}) or SIGKILL ({@link #kill9()}); {@link #restart()} starts it again on the same ports
 * and data dir. All output (stdout+stderr, every start) is appended to one log file under
 * {@code target/it-logs}. {@link #close()} always kills a live process and deletes the data dir; a JVM
 * shutdown hook kills any process a crashed test left behind.
 */
public abstract class ServerProcess implements AutoCloseable {
  private static final Path LOG_DIR = Path.of("target", "it-logs");
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private static final int MAX_BIND_ATTEMPTS = 3;
  private static final Duration STATUS_CALL_TIMEOUT = Duration.ofMillis(1000);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly),
        "it-server-reaper"));
  }

  protected final ServerFlags config;
  private final Path rootDir;
  private final Path dataDir;
  private final Path logFile;
  private int clientPort;
  private int peerPort;
  private int metricsPort;
  private Process process;
  private int starts;
  private long launchLogOffset;
  private MemberLayout layout;

  protected ServerProcess(String kind, ServerFlags config) {
    this.config = config;
    try {
      this.rootDir = Files.createTempDirectory("keel-it-" + kind + "-");
      this.dataDir = rootDir.resolve("data");
      Files.createDirectories(LOG_DIR);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.logFile = LOG_DIR.resolve(kind + "-" + config.name() + "-" + ProcessHandle.current().pid() + "-"
        + SEQUENCE.incrementAndGet() + ".log").toAbsolutePath();
  }

  /** The full command line (program first) for the current ports and data dir. */
  protected abstract List<String> command();

  /** How long a start may take until the server answers Maintenance.Status. */
  protected abstract Duration startTimeout();

  /** Short label for messages, e.g. "etcd" or "keel". */
  public abstract String kind();

  /**
   * Makes this process one member of a multi-member cluster: fixed ports and cluster flags chosen by
   * {@link ProcessCluster} before any member starts. Must be called before the first start.
   */
  final synchronized void useLayout(MemberLayout memberLayout) {
    if (starts > 0) {
      throw new IllegalStateException(describe() + " was already started");
    }
    this.layout = memberLayout;
    this.clientPort = memberLayout.clientPort();
    this.peerPort = memberLayout.peerPort();
    this.metricsPort = memberLayout.metricsPort();
  }

  /**
   * Launches a cluster member (see {@link #useLayout}) without waiting: a member of a new cluster cannot
   * answer before a quorum of its peers runs, so the cluster launches all, then {@link #awaitReady()}s each.
   */
  final synchronized void launch() {
    if (layout == null) {
      throw new IllegalStateException(describe() + " has no cluster layout; use start()");
    }
    if (isAlive()) {
      throw new IllegalStateException(describe() + " is still running");
    }
    launchProcess();
  }

  /** Starts on fresh free ports (retrying if a port was taken meanwhile) and waits until ready. */
  public final synchronized void start() {
    if (starts > 0) {
      throw new IllegalStateException(describe() + " was already started; use restart()");
    }
    if (layout != null) {
      launchAndAwaitReady();
      return;
    }
    for (int attempt = 1; ; attempt++) {
      int[] ports = LoopbackPorts.freePorts(3);
      clientPort = ports[0];
      peerPort = ports[1];
      metricsPort = ports[2];
      try {
        launchAndAwaitReady();
        return;
      } catch (AssertionError e) {
        boolean bindRace = latestLaunchLogContains("address already in use");
        if (!bindRace || attempt >= MAX_BIND_ATTEMPTS) {
          throw e;
        }
        deleteRecursively(dataDir);
        appendMarker("port taken; retrying on new ports (attempt " + (attempt + 1) + ")");
      }
    }
  }

  /** Starts again on the same ports and data dir (after {@link #stop()} or {@link #kill9()}). */
  public final synchronized void restart() {
    if (starts == 0) {
      throw new IllegalStateException(describe() + " was never started");
    }
    if (isAlive()) {
      throw new IllegalStateException(describe() + " is still running; stop() or kill9() it first");
    }
    launchAndAwaitReady();
  }

  /** SIGTERM, then waits (bounded) for exit. Returns the exit code; fails if it does not exit in time. */
  public final synchronized int stop() {
    requireStarted();
    if (!process.isAlive()) {
      return process.exitValue();
    }
    process.destroy();
    try {
      if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        forceKill();
        throw new AssertionError(describe() + " did not exit within " + STOP_TIMEOUT
            + " after SIGTERM; killed with SIGKILL. Log: " + logFile + "\n" + logTail(30));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      forceKill();
      throw new AssertionError("interrupted while stopping " + describe(), e);
    }
    LIVE.remove(process);
    return process.exitValue();
  }

  /** SIGKILL (kill -9) and waits for the process to be gone. Returns the exit code (137 on Linux). */
  public final synchronized int kill9() {
    requireStarted();
    return forceKill();
  }

  /** SIGSTOP: the process freezes (sockets stay open, nothing answers) until {@link #resume()}. */
  public final synchronized void pause() {
    signal("STOP");
  }

  /** SIGCONT after {@link #pause()}. */
  public final synchronized void resume() {
    signal("CONT");
  }

  private void signal(String name) {
    requireStarted();
    if (!process.isAlive()) {
      throw new IllegalStateException(describe() + " is not running; cannot send SIG" + name);
    }
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
          .redirectErrorStream(true).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        kill.destroyForcibly();
        throw new AssertionError("kill -" + name + " " + process.pid() + " failed: "
            + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run kill -" + name, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while sending SIG" + name, e);
    }
  }

  public final synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** {@code 127.0.0.1:PORT}, the form etcdctl's --endpoints takes. */
  public final String clientEndpoint() {
    return "127.0.0.1:" + clientPort;
  }

  public final String clientUrl() {
    return "http://" + clientEndpoint();
  }

  public final String peerUrl() {
    return "http://127.0.0.1:" + peerPort;
  }

  /** {@code http://127.0.0.1:PORT} of the metrics listener, if {@link ServerFlags#metricsListener()}. */
  public final String metricsUrl() {
    if (!config.metricsListener()) {
      throw new IllegalStateException(describe() + " has no metrics listener");
    }
    return "http://127.0.0.1:" + metricsPort;
  }

  public final int clientPort() {
    return clientPort;
  }

  public final int peerPort() {
    return peerPort;
  }

  public final Path dataDir() {
    return dataDir;
  }

  public final Path logFile() {
    return logFile;
  }

  public final ServerFlags config() {
    return config;
  }

  /** A new plaintext gRPC channel to the client port; the caller shuts it down. */
  public final ManagedChannel newChannel() {
    return ManagedChannelBuilder.forAddress("127.0.0.1", clientPort).usePlaintext().build();
  }

  /** The exit code of the current (or last) process, or empty while it runs or before the first start. */
  public final synchronized OptionalInt exitCode() {
    return process == null || process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
  }

  /** Pid of the current (or last) process. */
  public final synchronized long pid() {
    requireStarted();
    return process.pid();
  }

  /** The last {@code lines} lines of the log file (all starts), for failure messages. */
  public final String logTail(int lines) {
    try {
      if (!Files.exists(logFile)) {
        return "(no log)";
      }
      List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read " + logFile + ": " + e + ")";
    }
  }

  /** Kills a live process (SIGKILL) and deletes the data dir. Never throws for a dead process. */
  @Override
  public final synchronized void close() {
    if (process != null && process.isAlive()) {
      forceKill();
    }
    deleteRecursively(rootDir);
  }

  @Override
  public String toString() {
    return describe();
  }

  /** The common etcd flags both servers take. */
  protected final List<String> etcdFlags() {
    List<String> flags = new ArrayList<>(List.of(
        "--name", config.name(),
        "--data-dir", dataDir.toString(),
        "--listen-client-urls", clientUrl(),
        "--advertise-client-urls", clientUrl(),
        "--listen-peer-urls", peerUrl(),
        "--initial-advertise-peer-urls", layout != null ? layout.advertisePeerUrls() : peerUrl(),
        "--initial-cluster", layout != null ? layout.initialCluster() : config.name() + "=" + peerUrl(),
        "--initial-cluster-state", layout != null ? layout.initialClusterState() : "new",
        "--initial-cluster-token", layout != null ? layout.clusterToken() : "keel-it-" + config.name()));
    if (config.snapshotCount() > 0) {
      flags.add("--snapshot-count");
      flags.add(Long.toString(config.snapshotCount()));
    }
    if (config.maxRequestBytes() > 0) {
      flags.add("--max-request-bytes");
      flags.add(Long.toString(config.maxRequestBytes()));
    }
    if (config.quotaBackendBytes() > 0) {
      flags.add("--quota-backend-bytes");
      flags.add(Long.toString(config.quotaBackendBytes()));
    }
    if (config.metricsListener()) {
      flags.add("--listen-metrics-urls");
      flags.add(metricsUrl());
    }
    return flags;
  }

  private void launchAndAwaitReady() {
    launchProcess();
    awaitReady();
  }

  private void launchProcess() {
    starts++;
    List<String> command = command();
    appendMarker("start #" + starts + ": " + String.join(" ", command));
    try {
      launchLogOffset = Files.size(logFile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new AssertionError("cannot launch " + describe() + ": " + command, e);
    }
    LIVE.add(process);
  }

  /** Waits (bounded by the start timeout) until the running process answers Maintenance.Status. */
  final synchronized void awaitReady() {
    Duration timeout = startTimeout();
    Instant deadline = Instant.now().plus(timeout);
    ManagedChannel channel = newChannel();
    String lastError = "no attempt";
    try {
      MaintenanceGrpc.MaintenanceBlockingStub stub = MaintenanceGrpc.newBlockingStub(channel);
      while (Instant.now().isBefore(deadline)) {
        if (!process.isAlive()) {
          LIVE.remove(process);
          throw new AssertionError(describe() + " exited with code " + process.exitValue()
              + " before it was ready. Log: " + logFile + "\n" + logTail(40));
        }
        try {
          stub.withDeadlineAfter(STATUS_CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
              .status(StatusRequest.getDefaultInstance());
          return;
        } catch (RuntimeException e) {
          lastError = e.toString();
        }
        sleepMillis(100);
      }
    } finally {
      channel.shutdownNow();
    }
    forceKill();
    throw new AssertionError(describe() + " not ready within " + timeout + " (last Status error: " + lastError
        + "); killed. Log: " + logFile + "\n" + logTail(40));
  }

  private int forceKill() {
    Process p = process;
    p.destroyForcibly();
    try {
      if (!p.waitFor(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError(describe() + " still alive " + KILL_TIMEOUT + " after SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while killing " + describe(), e);
    }
    LIVE.remove(p);
    return p.exitValue();
  }

  private String describe() {
    return kind() + " '" + config.name() + "' (client " + clientEndpoint() + ", data " + dataDir + ")";
  }

  private void requireStarted() {
    if (process == null) {
      throw new IllegalStateException(describe() + " was never started");
    }
  }

  /**
   * Whether the output of the latest launch contains {@code needle}, ignoring case (etcd logs "address
   * already in use", Java's BindException says "Address already in use").
   */
  private boolean latestLaunchLogContains(String needle) {
    try {
      byte[] all = Files.readAllBytes(logFile);
      int from = (int) Math.min(all.length, launchLogOffset);
      return new String(all, from, all.length - from, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT)
          .contains(needle.toLowerCase(Locale.ROOT));
    } catch (IOException | UncheckedIOException e) {
      return false;
    }
  }

  private void appendMarker(String text) {
    try {
      Files.writeString(logFile, "=== [it harness " + Instant.now() + "] " + text + "\n",
          StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static java.io.File nullDevice() {
    return new java.io.File("/dev/null");
  }

  private static void sleepMillis(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for a server", e);
    }
  }

  static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }
}
