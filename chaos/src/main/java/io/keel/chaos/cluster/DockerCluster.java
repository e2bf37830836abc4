package io.keel.chaos.cluster;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Ports;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.MaintenanceGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.StatusRequest;
import io.keel.proto.etcdserverpb.StatusResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

/**
 * A Keel cluster under test: members as containers (Testcontainers) on a user-defined network of their own,
 * with NET_ADMIN so nemeses can use iptables inside them. Clients reach members from the test JVM through
 * mapped ports. Containers carry the label {@code keel.chaos.owner=<pid>}; containers and networks left by a
 * dead owner (a crashed run, since Ryuk is off) are removed at the next start.
 */
public final class DockerCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DockerCluster.class);
  public static final int CLIENT_PORT = 2379;
  private static final String OWNER_LABEL = "keel.chaos.owner";
  private static final long READY_TIMEOUT_MS = 90_000;
  /** Where keel-node-run.sh keeps its state (ledger, manifest, requests from nemeses); outside /data. */
  public static final String FS_STATE_DIR = "/var/lib/keel-fs";
  static final int FS_FAULTS_SNAPSHOT_COUNT = 2000;
  private static final long RESTART_TIMEOUT_MS = 90_000;

  private final Network network;
  private final List<Node> nodes;
  private final DockerClient docker;

  private DockerCluster(Network network, List<Node> nodes, DockerClient docker) {
    this.network = network;
    this.nodes = List.copyOf(nodes);
    this.docker = docker;
  }

  /**
   * Starts {@code size} members from {@code image} and waits until the cluster accepts a write.
   *
   * @param testingFaults values for --unsafe-testing-faults (negative controls), usually empty
   */
  public static DockerCluster start(String image, int size, Set<String> testingFaults) throws IOException {
    return start(image, size, testingFaults, Set.of());
  }

  /**
   * As above; with any {@code tools} every member runs under /opt/keel/keel-node-run.sh (see
   * chaos/src/main/sh), which applies file-system faults between incarnations (lost un-fsynced writes, bit
   * flips) and preloads the tools into the member's JVM (the fsync ledger shim chaos/src/main/c/fsledger.c,
   * the clock shim clockshift.c). Such members also snapshot every {@value #FS_FAULTS_SNAPSHOT_COUNT} entries,
   * so snapshot files exist to be damaged and crashes land on snapshots too.
   */
  public static DockerCluster start(String image, int size, Set<String> testingFaults, Set<MemberTools> tools)
      throws IOException {
    boolean fsFaults = !tools.isEmpty();
    if (size < 1 || size > 7) {
      throw new IllegalArgumentException("cluster size must be in [1, 7], got " + size);
    }
    DockerClient docker = DockerClientFactory.instance().client();
    removeOrphans(docker);
    String owner = Long.toString(ProcessHandle.current().pid());
    Network network = Network.builder()
        .createNetworkCmdModifier(cmd -> cmd.withLabels(Map.of(OWNER_LABEL, owner))).build();
    List<String> names = new ArrayList<>();
    StringBuilder cluster = new StringBuilder();
    for (int i = 1; i <= size; i++) {
      names.add("n" + i);
      cluster.append(i > 1 ? "," : "").append("n").append(i).append("=http://n").append(i).append(":2380");
    }
    List<GenericContainer<?>> containers = new ArrayList<>();
    List<List<String>> argvs = new ArrayList<>();
    List<Node> nodes = new ArrayList<>();
    // Every member starts through MemberArgs' wrapper, so the membership nemesis can restart a member's container
    // as a new member (another argv, an empty data dir); with no request from it the wrapper just execs.
    List<String> entrypoint = fsFaults ? List.of("/bin/sh", "/opt/keel/keel-node-run.sh", "server")
        : imageEntrypoint(docker, image);
    try {
      for (String name : names) {
        List<String> cmd = new ArrayList<>(List.of("server", "--name", name, "--data-dir", "/data/" + name,
            "--listen-client-urls", "http://0.0.0.0:" + CLIENT_PORT,
            "--advertise-client-urls", "http://" + name + ":" + CLIENT_PORT,
            "--listen-peer-urls", "http://0.0.0.0:2380",
            "--initial-advertise-peer-urls", "http://" + name + ":2380",
            "--initial-cluster", cluster.toString(), "--initial-cluster-state", "new",
            "--heartbeat-interval", "100", "--election-timeout", "1000"));
        if (!testingFaults.isEmpty()) {
          cmd.add("--unsafe-testing-faults");
          cmd.add(String.join(",", testingFaults));
        }
        if (fsFaults) {
          cmd.remove(0); // "server" is the wrapper's first argument below
          cmd.add("--snapshot-count");
          cmd.add(Integer.toString(FS_FAULTS_SNAPSHOT_COUNT));
        }
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image));
        if (tools.contains(MemberTools.FS_LEDGER)) {
          c.withEnv("KEEL_FS_LEDGER", "1");
        }
        if (tools.contains(MemberTools.CLOCK_SHIFT)) {
          c.withEnv("KEEL_CLOCK_SHIFT", "1");
        }
        c
            .withImagePullPolicy(img -> false)
            .withNetwork(network)
            .withNetworkAliases(name)
            .withExposedPorts(CLIENT_PORT)
            .withLabel(OWNER_LABEL, owner)
            .withCreateContainerCmdModifier(cc -> {
              cc.withHostName(name).getHostConfig().withCapAdd(Capability.NET_ADMIN);
              cc.withEntrypoint(MemberArgs.wrappedEntrypoint(entrypoint));
            })
            .withCommand(cmd.toArray(String[]::new))
            .waitingFor(Wait.forLogMessage(".*entries after snapshot.*\\n", 1)
                // A loaded box and the preloaded tools slow a JVM's start: allow more time.
                .withStartupTimeout(Duration.ofSeconds(fsFaults ? 180 : 60)));
        containers.add(c);
        List<String> argv = new ArrayList<>(entrypoint);
        argv.addAll(cmd);
        argvs.add(List.copyOf(argv));
        c.start();
      }
      for (int i = 0; i < size; i++) {
        GenericContainer<?> c = containers.get(i);
        InspectContainerResponse info = docker.inspectContainerCmd(c.getContainerId()).exec();
        String ip = info.getNetworkSettings().getNetworks().values().iterator().next().getIpAddress();
        nodes.add(new Node(names.get(i), c, ip, c.getMappedPort(CLIENT_PORT), argvs.get(i)));
      }
      DockerCluster dc = new DockerCluster(network, nodes, docker);
      dc.awaitWritable(READY_TIMEOUT_MS);
      dc.awaitAllServing(READY_TIMEOUT_MS);
      LOG.info("cluster up: {}", nodes);
      return dc;
    } catch (RuntimeException | IOException e) {
      for (GenericContainer<?> c : containers) {
        c.stop();
      }
      network.close();
      throw e;
    }
  }

  /** The image's entry point (the member's JVM command line up to its arguments). */
  private static List<String> imageEntrypoint(DockerClient docker, String image) {
    var config = docker.inspectImageCmd(image).exec().getConfig();
    String[] e = config == null ? null : config.getEntrypoint();
    if (e == null || e.length == 0) {
      throw new IllegalStateException("image " + image + " has no entry point");
    }
    return List.of(e);
  }

  public List<Node> nodes() {
    return nodes;
  }

  /** Waits until some member accepts a put. */
  public void awaitWritable(long timeoutMs) throws IOException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    Exception last = null;
    while (System.nanoTime() < deadline) {
      for (Node n : nodes) {
        try {
          KVGrpc.newBlockingStub(n.channel()).withDeadlineAfter(2, TimeUnit.SECONDS)
              .put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("chaos-ready"))
                  .setValue(ByteString.copyFromUtf8("1")).build());
          return;
        } catch (RuntimeException e) {
          last = e;
        }
      }
      sleep(500);
    }
    throw new IOException("cluster did not accept a write within " + timeoutMs + " ms", last);
  }

  /**
   * Waits until every member answers a Status request on its client port. A member's port is mapped (and
   * accepts connections through docker-proxy) before the member serves clients; starting the workload earlier
   * would fill the history with unknown outcomes.
   */
  public void awaitAllServing(long timeoutMs) throws IOException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    for (Node n : nodes) {
      while (true) {
        try {
          MaintenanceGrpc.newBlockingStub(n.channel()).withDeadlineAfter(2, TimeUnit.SECONDS)
              .status(StatusRequest.getDefaultInstance());
          break;
        } catch (RuntimeException e) {
          if (System.nanoTime() > deadline) {
            throw new IOException(n.name() + " did not serve clients within " + timeoutMs + " ms", e);
          }
          sleep(300);
        }
      }
    }
  }

  /** The current leader, asked of every reachable member (the first answer that names a known member). */
  public Optional<Node> leader() {
    for (Node n : nodes) {
      try {
        StatusResponse s = MaintenanceGrpc.newBlockingStub(n.channel()).withDeadlineAfter(1, TimeUnit.SECONDS)
            .status(StatusRequest.getDefaultInstance());
        if (s.getLeader() == 0) {
          continue;
        }
        for (Node m : nodes) {
          StatusResponse ms = MaintenanceGrpc.newBlockingStub(m.channel()).withDeadlineAfter(1, TimeUnit.SECONDS)
              .status(StatusRequest.getDefaultInstance());
          if (ms.getHeader().getMemberId() == s.getLeader()) {
            return Optional.of(m);
          }
        }
      } catch (RuntimeException e) {
        LOG.debug("status of {} failed: {}", n, e.toString());
      }
    }
    return Optional.empty();
  }

  /** Runs a command in a member's container; throws when it exits non-zero. */
  public String exec(Node n, String... command) throws IOException {
    try {
      ExecResult r = n.container().execInContainer(command);
      if (r.getExitCode() != 0) {
        throw new IOException(n.name() + ": " + String.join(" ", command) + " exited " + r.getExitCode() + ": "
            + r.getStderr());
      }
      return r.getStdout();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** SIGKILLs a member's container (its files stay). */
  public void kill(Node n) {
    docker.killContainerCmd(n.containerId()).withSignal("KILL").exec();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (Boolean.TRUE.equals(docker.inspectContainerCmd(n.containerId()).exec().getState().getRunning())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(n.name() + " still runs 10 s after kill -9");
      }
      sleep(50);
    }
    n.markDown(); // only once the process is gone: see Node.liveness()
  }

  /**
   * Starts a killed member's container again, waits (bounded) until it answers on its new host port, and only
   * then marks it possibly up and points clients at the new port. Until then clients keep the old channel, whose
   * port no longer leads anywhere, so their failed requests are certain failures, not unknown outcomes.
   */
  public void restart(Node n) throws IOException {
    restartAll(List.of(n));
  }

  /**
   * Restarts several killed members: starts every container first, then waits for each (a member serves
   * clients only once a quorum has heard from it, so restarting members of a lost quorum one by one would wait
   * forever).
   */
  public void restartAll(List<Node> members) throws IOException {
    for (Node n : members) {
      docker.startContainerCmd(n.containerId()).exec();
    }
    for (Node n : members) {
      if (!awaitStarted(n)) {
        throw new IOException(n.name() + " exited during its restart; its log ends: " + tail(logs(n), 600));
      }
    }
  }

  /**
   * Starts a killed (or exited) member's container again and waits, bounded, until it either serves clients
   * (true: marked possibly up, clients see the new port, as {@link #restart}) or its process exits (false: it
   * stays marked down), e.g. because it refused its damaged files.
   */
  public boolean startAndAwait(Node n) throws IOException {
    docker.startContainerCmd(n.containerId()).exec();
    return awaitStarted(n);
  }

  private boolean awaitStarted(Node n) throws IOException {
    long deadline = System.nanoTime() + RESTART_TIMEOUT_MS * 1_000_000L;
    int port = -1;
    while (System.nanoTime() < deadline && port < 0) {
      if (!Boolean.TRUE.equals(docker.inspectContainerCmd(n.containerId()).exec().getState().getRunning())) {
        return false;
      }
      Ports.Binding[] b = docker.inspectContainerCmd(n.containerId()).exec().getNetworkSettings().getPorts()
          .getBindings().get(ExposedPort.tcp(CLIENT_PORT));
      if (b != null && b.length > 0) {
        port = Integer.parseInt(b[0].getHostPortSpec());
      } else {
        sleep(200);
      }
    }
    if (port < 0) {
      n.markMaybeUp();
      throw new IOException("no host port for " + n.name() + " after restart");
    }
    ManagedChannel probe = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      while (System.nanoTime() < deadline) {
        try {
          MaintenanceGrpc.newBlockingStub(probe).withDeadlineAfter(1, TimeUnit.SECONDS)
              .status(StatusRequest.getDefaultInstance());
          break;
        } catch (RuntimeException e) {
          if (!Boolean.TRUE.equals(docker.inspectContainerCmd(n.containerId()).exec().getState().getRunning())) {
            return false;
          }
          sleep(200);
        }
      }
    } finally {
      probe.shutdownNow();
    }
    n.markMaybeUp(); // before the new channel is visible: see Node.liveness()
    n.reconnect(port);
    n.updateIp(docker.inspectContainerCmd(n.containerId()).exec().getNetworkSettings().getNetworks().values()
        .iterator().next().getIpAddress());
    return true;
  }

  /**
   * Waits up to {@code timeoutMs} for a member's process to exit by itself (a member removed from the group
   * stops), SIGKILLs it if it has not, and marks it down. Returns whether it had exited by itself.
   */
  public boolean awaitExitOrKill(Node n, long timeoutMs) {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    while (isRunning(n) && System.nanoTime() < deadline) {
      sleep(100);
    }
    if (Boolean.TRUE.equals(docker.inspectContainerCmd(n.containerId()).exec().getState().getRunning())) {
      if (Boolean.TRUE.equals(docker.inspectContainerCmd(n.containerId()).exec().getState().getPaused())) {
        unpause(n);
      }
      kill(n);
      return false;
    }
    if ((n.liveness() & 1) == 0) {
      n.markDown();
    }
    return true;
  }

  /**
   * Starts a stopped member's container again as a NEW member, as an operator re-adds a removed one: its data
   * dir ({@code /data/<name>}) is deleted first and it runs with {@code --initial-cluster-state existing} and
   * {@code initialCluster} (what MemberAdd answered), otherwise with its first command line (same name, peer URL
   * and container). The request is left in the stopped container's file system (MemberArgs' wrapper applies it
   * at the next start); the argv stays for later restarts (the flags are ignored once the data dir exists).
   * Waits as {@link #restart} does.
   */
  public void restartAsNewMember(Node n, String initialCluster) throws IOException {
    if (Boolean.TRUE.equals(docker.inspectContainerCmd(n.containerId()).exec().getState().getRunning())) {
      throw new IllegalStateException(n.name() + " is running: stop it before it rejoins as a new member");
    }
    List<String> argv = MemberArgs.rejoin(n.argv(), initialCluster);
    n.container().copyFileToContainer(Transferable.of(MemberArgs.argvFile(argv)), MemberArgs.ARGV_FILE);
    n.container().copyFileToContainer(Transferable.of("/data/" + n.name() + "\n"), MemberArgs.WIPE_FILE);
    if ((n.liveness() & 1) == 0) {
      n.markDown();
    }
    restart(n);
  }

  /** The member's container log so far (all incarnations), or "" when Docker cannot give it. */
  public String logs(Node n) {
    try {
      return n.container().getLogs();
    } catch (RuntimeException e) {
      LOG.debug("logs of {}: {}", n, e.toString());
      return "";
    }
  }

  private static String tail(String s, int chars) {
    return s.length() <= chars ? s : "..." + s.substring(s.length() - chars);
  }

  public void pause(Node n) {
    docker.pauseContainerCmd(n.containerId()).exec();
  }

  public void unpause(Node n) {
    docker.unpauseContainerCmd(n.containerId()).exec();
  }

  /** Whether the member's container is running (and not paused). */
  public boolean isRunning(Node n) {
    var state = docker.inspectContainerCmd(n.containerId()).exec().getState();
    return Boolean.TRUE.equals(state.getRunning()) && !Boolean.TRUE.equals(state.getPaused());
  }

  /** Saves every member's log into {@code dir}. */
  public void saveLogs(Path dir) {
    for (Node n : nodes) {
      try {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(n.name() + ".log"), n.container().getLogs(), StandardCharsets.UTF_8);
      } catch (IOException | RuntimeException e) {
        LOG.warn("could not save the log of {}: {}", n, e.toString());
      }
    }
  }

  @Override
  public void close() {
    for (Node n : nodes) {
      try {
        n.closeChannel();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      try {
        if (docker.inspectContainerCmd(n.containerId()).exec().getState().getPaused()) {
          unpause(n);
        }
      } catch (RuntimeException e) {
        LOG.debug("unpause {}: {}", n, e.toString());
      }
      n.container().stop();
    }
    network.close();
  }

  /** Removes containers and networks whose owning process is gone. */
  private static void removeOrphans(DockerClient docker) {
    for (Container c : docker.listContainersCmd().withShowAll(true)
        .withLabelFilter(List.of(OWNER_LABEL)).exec()) {
      if (!ownerAlive(c.getLabels().get(OWNER_LABEL))) {
        LOG.info("removing container {} left by a dead run", c.getId());
        try {
          docker.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
        } catch (RuntimeException e) {
          LOG.warn("could not remove {}: {}", c.getId(), e.toString());
        }
      }
    }
    for (var net : docker.listNetworksCmd().exec()) {
      String o = net.getLabels() == null ? null : net.getLabels().get(OWNER_LABEL);
      if (o != null && !ownerAlive(o)) {
        try {
          docker.removeNetworkCmd(net.getId()).exec();
        } catch (RuntimeException e) {
          LOG.warn("could not remove network {}: {}", net.getId(), e.toString());
        }
      }
    }
  }

  private static boolean ownerAlive(String pid) {
    try {
      return pid != null && ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
