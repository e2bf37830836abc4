package io.keel.bench.cluster;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.keel.proto.etcdserverpb.MaintenanceGrpc;
import io.keel.proto.etcdserverpb.StatusRequest;
import io.keel.proto.etcdserverpb.StatusResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shared machinery of {@link EtcdCluster} and {@link KeelCluster}: allocates loopback ports, lays out one
 * data directory per member, starts every member with etcd's clustering flags, waits until each member
 * answers Maintenance.Status and a leader exists, and stops them all on close. Each member's output goes
 * to {@code <dir>/<name>.log}.
 */
public class ProcessCluster implements LocalCluster {

  private static final Logger LOG = LoggerFactory.getLogger(ProcessCluster.class);
  /** Largest cluster this launcher starts. */
  public static final int MAX_MEMBERS = 7;

  /** One member's identity and ports. */
  public record Member(String name, int clientPort, int peerPort, Path dataDir, Path logFile) {
    public String clientUrl() {
      return "http://127.0.0.1:" + clientPort;
    }

    public String peerUrl() {
      return "http://127.0.0.1:" + peerPort;
    }
  }

  private final String kind;
  private final List<Member> members;
  private final List<List<String>> commands = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();
  /** Stops the members when the bench is stopped (SIGTERM, Ctrl-C) before it could close the cluster. */
  private final Thread stopOnExit = new Thread(this::stopMembers, "keel-bench-cluster-stop");

  /**
   * Starts the members and waits for them.
   *
   * @param kind label, e.g. "etcd"
   * @param dir base directory; member data goes in {@code dir/<name>.data}
   * @param size number of members (1..7)
   * @param commandFor builds the full command line of a member given it and the initial-cluster string
   * @param startTimeout how long to wait for the cluster to answer and elect a leader
   */
  protected ProcessCluster(String kind, Path dir, int size, CommandBuilder commandFor, Duration startTimeout)
      throws IOException {
    if (size < 1 || size > MAX_MEMBERS) {
      throw new IllegalArgumentException("cluster size must be in 1.." + MAX_MEMBERS + ": " + size);
    }
    this.kind = kind;
    Files.createDirectories(dir);
    PortAllocator ports = new PortAllocator();
    List<Member> ms = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      String name = kind + i;
      ms.add(new Member(name, ports.next(), ports.next(), dir.resolve(name + ".data"), dir.resolve(name + ".log")));
    }
    this.members = List.copyOf(ms);
    String initialCluster = String.join(",", members.stream().map(m -> m.name() + "=" + m.peerUrl()).toList());
    Runtime.getRuntime().addShutdownHook(stopOnExit);
    try {
      for (Member m : members) {
        List<String> cmd = commandFor.command(m, initialCluster);
        commands.add(List.copyOf(cmd));
        LOG.info("starting {} member {}: {}", kind, m.name(), String.join(" ", cmd));
        synchronized (this) { // the exit hook may read the list
          processes.add(new ProcessBuilder(cmd).redirectErrorStream(true)
              .redirectOutput(m.logFile().toFile()).start());
        }
      }
      awaitReady(startTimeout);
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Builds a member's command line. */
  @FunctionalInterface
  public interface CommandBuilder {
    List<String> command(Member member, String initialCluster);
  }

  /** etcd's clustering flags for a member, shared by etcd and Keel (which accepts etcd's flags). */
  public static List<String> etcdFlags(Member m, String initialCluster) {
    return List.of(
        "--name", m.name(),
        "--data-dir", m.dataDir().toString(),
        "--listen-client-urls", m.clientUrl(),
        "--advertise-client-urls", m.clientUrl(),
        "--listen-peer-urls", m.peerUrl(),
        "--initial-advertise-peer-urls", m.peerUrl(),
        "--initial-cluster", initialCluster,
        "--initial-cluster-token", "keel-bench",
        "--initial-cluster-state", "new");
  }

  private void awaitReady(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<ManagedChannel> channels = members.stream()
        .map(m -> ManagedChannelBuilder.forAddress("127.0.0.1", m.clientPort()).usePlaintext().build())
        .toList();
    try {
      String last = "no answer yet";
      while (System.nanoTime() < deadline) {
        for (int i = 0; i < processes.size(); i++) {
          if (!processes.get(i).isAlive()) {
            throw new IOException(kind + " member " + members.get(i).name() + " exited with "
                + processes.get(i).exitValue() + "; log tail:\n" + tail(members.get(i).logFile()));
          }
        }
        int ready = 0;
        for (int i = 0; i < channels.size(); i++) {
          try {
            StatusResponse s = MaintenanceGrpc.newBlockingStub(channels.get(i))
                .withDeadlineAfter(1, TimeUnit.SECONDS).status(StatusRequest.getDefaultInstance());
            if (s.getLeader() != 0) {
              ready++;
            } else {
              last = members.get(i).name() + ": no leader yet";
            }
          } catch (RuntimeException e) {
            last = members.get(i).name() + ": " + e.getMessage();
          }
        }
        if (ready == channels.size()) {
          LOG.info("{} cluster of {} ready: {}", kind, members.size(), clientEndpoints());
          return;
        }
        sleep(100);
      }
      throw new IOException(kind + " cluster not ready within " + timeout + " (" + last + "); log tail of "
          + members.get(0).name() + ":\n" + tail(members.get(0).logFile()));
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
    }
  }

  static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException | RuntimeException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the cluster", e);
    }
  }

  @Override
  public List<Long> pids() {
    return processes.stream().map(Process::pid).toList();
  }

  public List<Member> members() {
    return members;
  }

  @Override
  public String kind() {
    return kind;
  }

  @Override
  public List<String> clientEndpoints() {
    return members.stream().map(m -> "127.0.0.1:" + m.clientPort()).toList();
  }

  @Override
  public List<List<String>> commands() {
    return List.copyOf(commands);
  }

  /** Terminates members gracefully (SIGTERM), then forcibly after 10 s. */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(stopOnExit);
    } catch (IllegalStateException shuttingDown) {
      // the JVM is exiting: the hook stops the members
    }
    stopMembers();
  }

  private synchronized void stopMembers() {
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    processes.clear();
  }
}
