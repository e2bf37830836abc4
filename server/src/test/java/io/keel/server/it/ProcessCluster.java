package io.keel.server.it;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.keel.proto.etcdserverpb.HashKVRequest;
import io.keel.proto.etcdserverpb.HashKVResponse;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.MaintenanceGrpc;
import io.keel.proto.etcdserverpb.MoveLeaderRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import io.keel.proto.etcdserverpb.StatusRequest;
import io.keel.proto.etcdserverpb.StatusResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster of real server processes (Keel or etcd) on loopback, every member named in every member's
 * {@code --initial-cluster}. Per member: kill -9, SIGTERM, SIGSTOP/SIGCONT, restart on the same data dir;
 * for the cluster: find the leader (Maintenance.Status), HashKV per member.
 *
 * <p>With {@code proxied}, member i reaches member j only through its own {@link TcpProxy} (i→j), so a test
 * can cut single directed links or {@link #isolate} a member. Each member then advertises all the proxy
 * URLs that lead to it; every member lists the same URL set per member (so member ids, which hash the peer
 * URLs, agree) but puts its own proxy first, and Keel sends to a peer's first URL. (Real etcd picks any of a
 * peer's URLs, so proxies are only for Keel.)
 */
final class ProcessCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessCluster.class);
  private static final long CALL_TIMEOUT_MS = 1500;

  private final List<ServerProcess> members;
  private final int[] ports; // client, peer, metrics per member
  private final TcpProxy[][] proxies; // [from][to], null on the diagonal or when not proxied
  private final Map<Integer, ManagedChannel> channels = new HashMap<>();

  private ProcessCluster(List<ServerProcess> members, int[] ports, TcpProxy[][] proxies) {
    this.members = members;
    this.ports = ports;
    this.proxies = proxies;
  }

  /** Starts {@code size} Keel members named {@code <base name>-1..size}; the caller closes the cluster. */
  static ProcessCluster keel(ServerFlags base, int size, boolean proxied) {
    return start(base, size, proxied, LoopbackPorts.freePorts(3 * size), KeelProcess::new);
  }

  /**
   * Keel members on the given {@link #ports()} of an earlier (closed) cluster of the same base name and size:
   * same flags, hence the same member and cluster ids, so etcdctl lists members in the same order.
   */
  static ProcessCluster keelOnPorts(ServerFlags base, int[] ports) {
    return start(base, ports.length / 3, false, ports.clone(), KeelProcess::new);
  }

  /** Starts {@code size} real etcd members (never proxied, see the class comment). */
  static ProcessCluster etcd(ServerFlags base, int size) {
    return etcdOnPorts(base, LoopbackPorts.freePorts(3 * size));
  }

  /** Real etcd members on the given ports (client, peer, metrics per member). */
  static ProcessCluster etcdOnPorts(ServerFlags base, int[] ports) {
    return start(base, ports.length / 3, false, ports.clone(), EtcdProcess::new);
  }

  /** The {@code --initial-cluster-token}: fixed by the name and the set of ports, not their order. */
  static String clusterToken(ServerFlags base, int[] ports) {
    return "keel-it-" + base.name() + "-" + java.util.Arrays.stream(ports).min().orElse(0);
  }

  private static ProcessCluster start(ServerFlags base, int size, boolean proxied, int[] ports,
      Function<ServerFlags, ServerProcess> factory) {
    if (size < 1 || size > 5 || ports.length != 3 * size) {
      throw new IllegalArgumentException("cluster size must be in [1, 5] with 3 ports each: " + size);
    }
    TcpProxy[][] proxies = new TcpProxy[size][size];
    List<ServerProcess> members = new ArrayList<>();
    ProcessCluster cluster = new ProcessCluster(members, ports, proxies);
    try {
      List<List<String>> urlsTo = new ArrayList<>(); // the URLs by which member j is reached
      for (int j = 0; j < size; j++) {
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < size; i++) {
          if (proxied && i != j) {
            proxies[i][j] = new TcpProxy(base.name() + "-" + (i + 1) + "-to-" + (j + 1), ports[3 * j + 1]);
            urls.add(proxies[i][j].url());
          }
        }
        if (!proxied) {
          urls.add("http://127.0.0.1:" + ports[3 * j + 1]);
        }
        urlsTo.add(urls);
      }
      String token = clusterToken(base, ports);
      for (int v = 0; v < size; v++) {
        StringJoiner cluster0 = new StringJoiner(",");
        for (int j = 0; j < size; j++) {
          List<String> urls = new ArrayList<>(urlsTo.get(j));
          if (proxied && j != v) { // this member's own link first: Keel sends to a peer's first URL
            String own = proxies[v][j].url();
            urls.remove(own);
            urls.add(0, own);
          }
          for (String url : urls) {
            cluster0.add(name(base, j) + "=" + url);
          }
        }
        ServerProcess member = factory.apply(base.withName(name(base, v)));
        members.add(member);
        member.useLayout(new MemberLayout(ports[3 * v], ports[3 * v + 1], ports[3 * v + 2],
            String.join(",", urlsTo.get(v)), cluster0.toString(), token));
      }
      members.forEach(ServerProcess::launch);
      members.forEach(ServerProcess::awaitReady);
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  private static String name(ServerFlags base, int index) {
    return base.name() + "-" + (index + 1);
  }

  /** Client, peer and metrics port of each member in turn. */
  int[] ports() {
    return ports.clone();
  }

  int size() {
    return members.size();
  }

  ServerProcess member(int index) {
    return members.get(index);
  }

  List<ServerProcess> members() {
    return List.copyOf(members);
  }

  /** SIGKILL of member {@code index}; returns its exit code. */
  int kill9(int index) {
    int code = members.get(index).kill9();
    LOG.info("killed -9 {}", members.get(index));
    return code;
  }

  /** SIGSTOP of member {@code index}: it freezes with its sockets open. */
  void pause(int index) {
    members.get(index).pause();
    LOG.info("SIGSTOP {}", members.get(index));
  }

  /** SIGCONT of member {@code index} after {@link #pause}. */
  void resume(int index) {
    members.get(index).resume();
    LOG.info("SIGCONT {}", members.get(index));
  }

  /** Starts member {@code index} again on its ports and data dir and waits until it answers. */
  void restart(int index) {
    members.get(index).restart();
    freshChannel(index);
    LOG.info("restarted {}", members.get(index));
  }

  /** SIGKILLs every member. */
  void killAll() {
    members.forEach(ServerProcess::kill9);
    LOG.info("killed -9 all members");
  }

  /** Launches every (stopped) member again (they need each other for a quorum) and awaits each. */
  void restartAll() {
    members.forEach(ServerProcess::launch);
    members.forEach(ServerProcess::awaitReady);
    for (int i = 0; i < members.size(); i++) {
      freshChannel(i);
    }
    LOG.info("restarted all members");
  }

  /** Client endpoints of all members, comma-separated, as etcdctl's --endpoints takes them. */
  String endpoints() {
    StringJoiner joiner = new StringJoiner(",");
    members.forEach(m -> joiner.add(m.clientEndpoint()));
    return joiner.toString();
  }

  /** A shared channel to member {@code index}'s client port (closed with the cluster; reconnects itself). */
  synchronized ManagedChannel channel(int index) {
    return channels.computeIfAbsent(index, i -> members.get(i).newChannel());
  }

  /** Replaces the cached channel of a restarted member (the old one may sit in reconnect backoff). */
  private synchronized void freshChannel(int index) {
    ManagedChannel old = channels.remove(index);
    if (old != null) {
      old.shutdownNow();
    }
  }

  /** Maintenance.Status of one member, or empty if it does not answer within a short bound. */
  Optional<StatusResponse> status(int index) {
    if (!members.get(index).isAlive()) {
      return Optional.empty();
    }
    try {
      return Optional.of(MaintenanceGrpc.newBlockingStub(channel(index))
          .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS).status(StatusRequest.getDefaultInstance()));
    } catch (StatusRuntimeException e) {
      channel(index).resetConnectBackoff();
      return Optional.empty();
    }
  }

  /**
   * The index of the member that leads, as seen by all running (and not excluded) members: every one of them
   * answers Status naming the same leader, and that leader is one of them. Empty if they do not agree now.
   */
  Optional<Integer> agreedLeader(int... excluded) {
    long leaderId = -1;
    Integer leaderIndex = null;
    for (int i = 0; i < members.size(); i++) {
      if (contains(excluded, i) || !members.get(i).isAlive()) {
        continue;
      }
      Optional<StatusResponse> status = status(i);
      if (status.isEmpty() || status.get().getLeader() == 0) {
        return Optional.empty();
      }
      long leader = status.get().getLeader();
      if (leaderId != -1 && leaderId != leader) {
        return Optional.empty();
      }
      leaderId = leader;
      if (status.get().getHeader().getMemberId() == leader) {
        leaderIndex = i;
      }
    }
    return Optional.ofNullable(leaderIndex);
  }

  /** Polls {@link #agreedLeader} until it answers or {@code timeout} passes. */
  int awaitLeader(Duration timeout, int... excluded) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<Integer> leader = agreedLeader(excluded);
      if (leader.isPresent()) {
        return leader.get();
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("no agreed leader within " + timeout + " among " + describeStatuses());
      }
      sleepMillis(20);
    }
  }

  /**
   * Every key under {@code prefix} with its value, read from member {@code index} (linearizable unless
   * {@code serializable}), with the revision of the answer. The prefix must not end in byte 0xff.
   */
  Read readPrefix(int index, String prefix, boolean serializable) {
    ByteString key = ByteString.copyFromUtf8(prefix);
    byte[] end = prefix.getBytes(StandardCharsets.UTF_8);
    end[end.length - 1]++;
    RangeResponse r = KVGrpc.newBlockingStub(channel(index)).withMaxInboundMessageSize(64 << 20)
        .withWaitForReady().withDeadlineAfter(10, TimeUnit.SECONDS)
        .range(RangeRequest.newBuilder().setKey(key).setRangeEnd(ByteString.copyFrom(end))
            .setSerializable(serializable).build());
    Map<String, String> out = new HashMap<>();
    r.getKvsList().forEach(kv -> out.put(kv.getKey().toStringUtf8(), kv.getValue().toStringUtf8()));
    return new Read(out, r.getHeader().getRevision());
  }

  /** What {@link #readPrefix} found, and the revision the answering member was at. */
  record Read(Map<String, String> values, long revision) {
  }

  /** Member id (as in Status headers) of member {@code index}; it must answer. */
  long memberId(int index) {
    return status(index).orElseThrow(() -> new AssertionError(members.get(index) + " does not answer Status"))
        .getHeader().getMemberId();
  }

  /** Makes member {@code index} the leader (MoveLeader on the current leader) and waits until all agree. */
  void moveLeaderTo(int index, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long target = memberId(index);
    while (true) {
      int leader = awaitLeader(timeout);
      if (leader == index) {
        return;
      }
      try {
        MaintenanceGrpc.newBlockingStub(channel(leader)).withDeadlineAfter(5, TimeUnit.SECONDS)
            .moveLeader(MoveLeaderRequest.newBuilder().setTargetID(target).build());
      } catch (StatusRuntimeException e) {
        LOG.info("MoveLeader to {} failed ({}); retrying", members.get(index), e.getStatus());
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("could not make " + members.get(index) + " the leader within " + timeout
            + describeStatuses());
      }
      sleepMillis(200);
    }
  }

  /** HashKV at {@code revision} (0 = current) from one member, bounded. */
  HashKVResponse hashKv(int index, long revision) {
    return MaintenanceGrpc.newBlockingStub(channel(index)).withDeadlineAfter(5, TimeUnit.SECONDS)
        .hashKV(HashKVRequest.newBuilder().setRevision(revision).build());
  }

  /**
   * Waits until every member has applied up to the highest revision any of them reports, then asserts that
   * HashKV at that revision is the same on all. Returns the revision. Call when no writes are running.
   */
  long assertHashesConverge(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long target = 0;
    for (int i = 0; i < members.size(); i++) {
      target = Math.max(target, currentRevision(i, deadline));
    }
    List<Long> hashes = new ArrayList<>();
    for (int i = 0; i < members.size(); i++) {
      while (currentRevision(i, deadline) < target) {
        if (System.nanoTime() - deadline > 0) {
          throw new AssertionError(members.get(i) + " did not reach revision " + target + " within " + timeout);
        }
        sleepMillis(50);
      }
      HashKVResponse r = hashKv(i, target);
      hashes.add((long) r.getHash() & 0xffffffffL);
    }
    LOG.info("HashKV at revision {}: {}", target, hashes);
    if (hashes.stream().distinct().count() != 1) {
      throw new AssertionError("members' HashKV differ at revision " + target + ": " + hashes);
    }
    return target;
  }

  private long currentRevision(int index, long deadlineNanos) {
    while (true) {
      try {
        return hashKv(index, 0).getHeader().getRevision();
      } catch (StatusRuntimeException e) {
        channel(index).resetConnectBackoff();
        if (System.nanoTime() - deadlineNanos > 0) {
          throw new AssertionError(members.get(index) + " does not answer HashKV: " + e.getStatus(), e);
        }
        sleepMillis(100);
      }
    }
  }

  /** Cuts every link to and from member {@code index} (needs a proxied cluster). */
  void isolate(int index) {
    requireProxied();
    for (int other = 0; other < members.size(); other++) {
      if (other != index) {
        proxies[index][other].cut();
        proxies[other][index].cut();
      }
    }
    LOG.info("isolated {}", members.get(index));
  }

  /** Heals every cut link. */
  void healAll() {
    requireProxied();
    for (TcpProxy[] row : proxies) {
      for (TcpProxy p : row) {
        if (p != null) {
          p.heal();
        }
      }
    }
    LOG.info("healed all links");
  }

  /** The link from member {@code from} to member {@code to} (needs a proxied cluster). */
  TcpProxy link(int from, int to) {
    requireProxied();
    return proxies[from][to];
  }

  /** One line per member: its Status (leader, term, index) or that it does not answer. */
  String describeStatuses() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < members.size(); i++) {
      Optional<StatusResponse> s = status(i);
      b.append("\n  ").append(members.get(i)).append(": ").append(s.map(r -> "member " + Long.toHexString(
          r.getHeader().getMemberId()) + " leader " + Long.toHexString(r.getLeader()) + " term " + r.getRaftTerm()
          + " index " + r.getRaftIndex() + " applied " + r.getRaftAppliedIndex()).orElse("no answer"));
    }
    return b.toString();
  }

  @Override
  public synchronized void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    channels.clear();
    RuntimeException first = null;
    for (ServerProcess member : members) {
      try {
        member.close();
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
    }
    for (TcpProxy[] row : proxies) {
      for (TcpProxy p : row) {
        if (p != null) {
          p.close();
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  private void requireProxied() {
    if (members.size() > 1 && proxies[0][1] == null) {
      throw new IllegalStateException("this cluster was not started with proxies");
    }
  }

  private static boolean contains(int[] values, int value) {
    for (int v : values) {
      if (v == value) {
        return true;
      }
    }
    return false;
  }

  static void sleepMillis(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
