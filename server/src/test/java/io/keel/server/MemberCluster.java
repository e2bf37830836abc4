package io.keel.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.keel.proto.etcdserverpb.ClusterGrpc;
import io.keel.proto.etcdserverpb.HashKVRequest;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.LeaseGrpc;
import io.keel.proto.etcdserverpb.LeaseKeepAliveRequest;
import io.keel.proto.etcdserverpb.LeaseKeepAliveResponse;
import io.keel.proto.etcdserverpb.MaintenanceGrpc;
import io.keel.proto.etcdserverpb.Member;
import io.keel.proto.etcdserverpb.MemberAddRequest;
import io.keel.proto.etcdserverpb.MemberAddResponse;
import io.keel.proto.etcdserverpb.MemberPromoteRequest;
import io.keel.proto.etcdserverpb.MemberRemoveRequest;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.server.cluster.MemberErrors;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Keel members in this JVM on real loopback sockets, each with its own data dir (m0, m1, ...): the one in-JVM
 * cluster fixture. Members of the initial cluster start with {@code --initial-cluster-state new}; members added
 * later ({@link #addMember}) are given the next slot and start as etcd's printed environment says ("existing").
 * 50 ms heartbeat, 500 ms election timeout (minimum lease TTL 1 s).
 */
public final class MemberCluster implements AutoCloseable {
  public static final long HEARTBEAT_MS = 50;
  public static final long ELECTION_MS = 500;
  /** Room for members added at run time. */
  static final int MAX_ADDED = 3;

  final Path dir;
  final long snapshotCount;
  final long quotaBytes;
  final int[] clientPorts;
  final int[] peerPorts;
  final KeelServer[] servers;
  final ManagedChannel[] channels;
  final String[] initialClusters;
  final String[] states;
  private int size;

  /** How to build one. */
  public static final class Builder {
    private final Path dir;
    private final int n;
    private long snapshotCount = ServerConfig.DEFAULT_SNAPSHOT_COUNT;
    private long quotaBytes;
    private int[] peerPorts;

    private Builder(Path dir, int n) {
      this.dir = dir;
      this.n = n;
    }

    public Builder snapshotCount(long v) {
      snapshotCount = v;
      return this;
    }

    public Builder quotaBytes(long v) {
      quotaBytes = v;
      return this;
    }

    /** Fixed peer ports for the initial members (default: free ones). */
    public Builder peerPorts(int[] v) {
      peerPorts = v.clone();
      return this;
    }

    /** The cluster, not started. */
    public MemberCluster build() throws IOException {
      return new MemberCluster(this);
    }

    /** The cluster, every member started and ready, a leader elected. */
    public MemberCluster start() throws IOException {
      MemberCluster c = build();
      try {
        c.startAll();
        c.leader();
      } catch (IOException | RuntimeException | Error e) {
        c.close();
        throw e;
      }
      return c;
    }
  }

  public static Builder builder(Path dir, int n) {
    return new Builder(dir, n);
  }

  private MemberCluster(Builder b) throws IOException {
    this.dir = b.dir;
    this.snapshotCount = b.snapshotCount;
    this.quotaBytes = b.quotaBytes;
    int cap = b.n + MAX_ADDED;
    clientPorts = new int[cap];
    peerPorts = new int[cap];
    servers = new KeelServer[cap];
    channels = new ManagedChannel[cap];
    initialClusters = new String[cap];
    states = new String[cap];
    StringBuilder c = new StringBuilder();
    for (int i = 0; i < b.n; i++) {
      clientPorts[i] = freePort();
      peerPorts[i] = b.peerPorts != null ? b.peerPorts[i] : freePort();
      c.append(i == 0 ? "" : ",").append(name(i)).append("=").append(peerUrl(i));
    }
    for (int i = 0; i < b.n; i++) {
      initialClusters[i] = c.toString();
      states[i] = "new";
    }
    size = b.n;
  }

  public static int freePort() throws IOException {
    return io.keel.server.TestPorts.free();
  }

  static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  /** Slots in use (initial members plus added ones, running or not). */
  public int size() {
    return size;
  }

  static String name(int i) {
    return "m" + i;
  }

  String peerUrl(int i) {
    return "http://127.0.0.1:" + peerPorts[i];
  }

  public Path dataDir(int i) {
    return dir.resolve(name(i));
  }

  public ServerConfig config(int i) {
    String client = "http://127.0.0.1:" + clientPorts[i];
    String peer = peerUrl(i);
    return new ServerConfig(name(i), dataDir(i), ServerConfig.parseUrls("c", client),
        ServerConfig.parseUrls("a", client), ServerConfig.parseUrls("p", peer), ServerConfig.parseUrls("p", peer),
        ServerConfig.parseInitialCluster(initialClusters[i]), states[i], "tok", 1 << 20, quotaBytes, List.of(), 128,
        1000, HEARTBEAT_MS, ELECTION_MS, snapshotCount, Set.of());
  }

  /** Starts every initial member, then waits until each is ready. */
  public void startAll() throws IOException {
    for (int i = 0; i < size; i++) {
      launch(i);
    }
    for (int i = 0; i < size; i++) {
      awaitReady(i);
    }
  }

  /** Starts member i (again: same data dir) and waits until it serves clients. */
  public void start(int i) throws IOException {
    launch(i);
    awaitReady(i);
  }

  /** Starts member i without waiting (several members of a restarted cluster must start before any is ready). */
  public void launch(int i) throws IOException {
    servers[i] = KeelServer.start(config(i));
    if (channels[i] == null) {
      channels[i] = NettyChannelBuilder.forAddress("127.0.0.1", clientPorts[i]).usePlaintext().build();
    }
  }

  public void awaitReady(int i) {
    try {
      assertThat(servers[i].awaitReady(30_000)).as("member %d ready", i).isTrue();
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
    if (channels[i] == null) {
      channels[i] = NettyChannelBuilder.forAddress("127.0.0.1", clientPorts[i]).usePlaintext().build();
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> servers[i].member().leaderId() != 0);
  }

  public void stop(int i) {
    if (channels[i] != null) {
      channels[i].shutdownNow();
      channels[i] = null;
    }
    if (servers[i] != null) {
      servers[i].close();
      servers[i] = null;
    }
  }

  public boolean running(int i) {
    return servers[i] != null;
  }

  public ManagedChannel channel(int i) {
    return channels[i];
  }

  public KeelServer server(int i) {
    return servers[i];
  }

  @Override
  public void close() {
    for (int i = 0; i < size; i++) {
      stop(i);
    }
  }

  public KVGrpc.KVBlockingStub kv(int i) {
    return KVGrpc.newBlockingStub(channels[i]).withDeadlineAfter(15, TimeUnit.SECONDS);
  }

  public MaintenanceGrpc.MaintenanceBlockingStub maintenance(int i) {
    return MaintenanceGrpc.newBlockingStub(channels[i]).withDeadlineAfter(15, TimeUnit.SECONDS);
  }

  public ClusterGrpc.ClusterBlockingStub cluster(int i) {
    return ClusterGrpc.newBlockingStub(channels[i]).withDeadlineAfter(15, TimeUnit.SECONDS);
  }

  public LeaseGrpc.LeaseBlockingStub lease(int i) {
    return LeaseGrpc.newBlockingStub(channels[i]).withDeadlineAfter(15, TimeUnit.SECONDS);
  }

  public LeaseGrpc.LeaseStub leaseAsync(int i) {
    return LeaseGrpc.newStub(channels[i]);
  }

  public long memberId(int i) {
    return servers[i].member().memberId();
  }

  /** The running member that leads now (waits up to 15 s for one). */
  public int leader() {
    int[] leader = {-1};
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
      for (int i = 0; i < size; i++) {
        if (servers[i] != null && servers[i].member().leaderId() == servers[i].member().memberId()) {
          leader[0] = i;
          return true;
        }
      }
      return false;
    });
    return leader[0];
  }

  /** Same as {@link #leader()}. */
  public int awaitLeader() {
    return leader();
  }

  /** Some running member other than {@code not}. */
  public int other(int not) {
    for (int i = 0; i < size; i++) {
      if (i != not && servers[i] != null) {
        return i;
      }
    }
    throw new AssertionError("no other member");
  }

  /**
   * Adds a member through member {@code via}'s Cluster service and prepares its slot the way an operator does
   * with etcdctl's printed environment (--initial-cluster of the named members plus the new one, state
   * "existing"); returns the slot. Not started.
   */
  public int addMember(int via, boolean learner) throws IOException {
    int i = size;
    if (i >= servers.length) {
      throw new IllegalStateException("no room for another member (at most " + MAX_ADDED + " added)");
    }
    clientPorts[i] = freePort();
    peerPorts[i] = freePort();
    MemberAddResponse r = whileUnhealthy(() -> cluster(via).memberAdd(MemberAddRequest.newBuilder()
        .addPeerURLs(peerUrl(i)).setIsLearner(learner).build()));
    StringBuilder c = new StringBuilder();
    for (Member m : r.getMembersList()) {
      String n = m.getID() == r.getMember().getID() ? name(i) : m.getName();
      if (n.isEmpty()) {
        continue; // not started yet: etcdctl prints it with no name, which --initial-cluster cannot hold
      }
      for (String u : m.getPeerURLsList()) {
        c.append(c.length() == 0 ? "" : ",").append(n).append("=").append(u);
      }
    }
    initialClusters[i] = c.toString();
    states[i] = "existing";
    size++;
    return i;
  }

  /** Removes member {@code target} through member {@code via}. */
  public void removeMember(int via, long targetId) {
    whileUnhealthy(() -> cluster(via).memberRemove(MemberRemoveRequest.newBuilder().setID(targetId).build()));
  }

  /**
   * Runs a membership call again, as an operator would, while it is refused as "etcdserver: unhealthy cluster"
   * (a voter connected for less than etcd's 5 s health interval, e.g. right after the cluster started).
   */
  public static <T> T whileUnhealthy(java.util.function.Supplier<T> call) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        return call.get();
      } catch (io.grpc.StatusRuntimeException e) {
        if (!MemberErrors.UNHEALTHY.getDescription().equals(e.getStatus().getDescription())
            || System.nanoTime() - deadline >= 0) {
          throw e;
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  public void promote(int via, long learnerId) {
    cluster(via).memberPromote(MemberPromoteRequest.newBuilder().setID(learnerId).build());
  }

  /** Puts keys "k<from>".."k<to-1>" through member i, each acknowledged. */
  public Set<String> put(int i, int from, int to) {
    Set<String> acked = new HashSet<>();
    for (int k = from; k < to; k++) {
      kv(i).put(PutRequest.newBuilder().setKey(b("k" + k)).setValue(b("v" + k)).build());
      acked.add("k" + k);
    }
    return acked;
  }

  public Set<String> keysOn(int i, boolean serializable) {
    Set<String> out = new HashSet<>();
    kv(i).range(RangeRequest.newBuilder().setKey(b("k")).setRangeEnd(b("l")).setSerializable(serializable).build())
        .getKvsList().forEach(x -> out.add(x.getKey().toStringUtf8()));
    return out;
  }

  /** Every listed member reaches the same revision with the same HashKV. */
  public void assertHashesEqual(List<Integer> members) {
    long rev = kv(members.get(0)).range(RangeRequest.newBuilder().setKey(b("k")).build()).getHeader().getRevision();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Set<Integer> hashes = new HashSet<>();
      for (int i : members) {
        hashes.add(MaintenanceGrpc.newBlockingStub(channels[i]).withDeadlineAfter(5, TimeUnit.SECONDS)
            .hashKV(HashKVRequest.newBuilder().setRevision(rev).build()).getHash());
      }
      assertThat(hashes).as("HashKV at revision %d on members %s", rev, members).hasSize(1);
    });
  }

  /** One renewal over a fresh LeaseKeepAlive stream (etcdctl lease keep-alive --once); returns the TTL answered. */
  public long keepAliveOnce(int i, long leaseId) throws Exception {
    CompletableFuture<LeaseKeepAliveResponse> first = new CompletableFuture<>();
    StreamObserver<LeaseKeepAliveRequest> up = leaseAsync(i).withDeadlineAfter(10, TimeUnit.SECONDS)
        .leaseKeepAlive(new StreamObserver<>() {
          @Override
          public void onNext(LeaseKeepAliveResponse r) {
            first.complete(r);
          }

          @Override
          public void onError(Throwable t) {
            first.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            first.completeExceptionally(new IllegalStateException("stream ended without an answer"));
          }
        });
    up.onNext(LeaseKeepAliveRequest.newBuilder().setID(leaseId).build());
    try {
      LeaseKeepAliveResponse r = first.get(10, TimeUnit.SECONDS);
      assertThat(r.getID()).isEqualTo(leaseId);
      return r.getTTL();
    } finally {
      up.onCompleted();
    }
  }
}
