package io.keel.chaos.nemesis;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keel.chaos.cluster.DockerCluster;
import io.keel.chaos.cluster.MemberArgs;
import io.keel.chaos.cluster.Node;
import io.keel.proto.etcdserverpb.Member;
import io.keel.proto.etcdserverpb.MemberAddResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Membership changes as an operator makes them. {@link #start}: removes one member (the leader a third of the
 * time) through the Cluster API of another live member (MemberRemove of its id from MemberList), then waits for
 * its process to exit (a removed member stops itself) or kills it. {@link #stop}: MemberAdds it back under the
 * same name and peer URL (half of the time as a learner) and restarts its container as a NEW member — its data
 * dir wiped, {@code --initial-cluster-state existing} and the {@code --initial-cluster} the group now has (as
 * MemberAdd answered) — then, for a learner, MemberPromotes it once it has caught up (etcd refuses a learner that
 * is not in sync with the leader: retried, bounded).
 *
 * <p>{@link #stop} reconciles from what MemberList says rather than replaying steps, so after any failed step
 * (reported as an exception, which the schedule records) the next {@link #stop} still brings the group back to
 * every member voting and serving: a member still in the group and running is left alone; one absent is added;
 * one added but not running is started as a new member; a learner is promoted. Every step is bounded in time.
 */
public final class MembershipNemesis implements Nemesis {
  private static final Logger LOG = LoggerFactory.getLogger(MembershipNemesis.class);
  /** A removed member stops by itself about 10 heartbeats after it applied its removal; then it is killed. */
  private static final long EXIT_TIMEOUT_MS = 15_000;
  /** Bound on making a learner a voter (it must first catch up, e.g. from a snapshot). */
  private static final long PROMOTE_TIMEOUT_MS = 90_000;
  private static final long RETRY_PAUSE_MS = 500;
  /** Bound on every member answering again after a re-add. */
  private static final long SERVING_TIMEOUT_MS = 60_000;

  /** The member being operated on (removed, or on its way back), or null when the group is whole. */
  private Node target;
  private Random rnd = new Random(0);
  private int removals;
  private int readds;
  private int promotions;

  /** A restart as a new member (the DockerCluster restart bound), the promote retries, the serving check. */
  @Override
  public long healBoundMs() {
    return 90_000 + PROMOTE_TIMEOUT_MS + SERVING_TIMEOUT_MS;
  }

  @Override
  public String name() {
    return "membership";
  }

  @Override
  public String start(DockerCluster cluster, Random random) throws IOException {
    if (target != null) {
      throw new IllegalStateException(target.name() + " is still out of the group: heal first");
    }
    rnd = new Random(random.nextLong());
    Node leader = random.nextInt(3) == 0 ? cluster.leader().orElse(null) : null;
    Node n = leader != null ? leader : cluster.nodes().get(random.nextInt(cluster.nodes().size()));
    List<Node> others = others(cluster, n);
    List<Member> group = ClusterApi.list(others);
    Member m = ClusterApi.find(group, n).orElseThrow(
        () -> new IOException("no member with peer URL " + ClusterApi.peerUrl(n) + " in " + ClusterApi.describe(group)));
    if (m.getIsLearner() || group.stream().anyMatch(Member::getIsLearner)) {
      throw new IOException("the group is not all voters: " + ClusterApi.describe(group));
    }
    target = n; // from here on stop() reconciles, whatever happens below
    Node via = others.get(random.nextInt(others.size()));
    try {
      ClusterApi.remove(via, m.getID());
    } catch (StatusRuntimeException e) {
      // Maybe applied anyway (a timeout): the group says.
      if (ClusterApi.find(ClusterApi.list(others), n).isPresent()) {
        throw new IOException("MemberRemove of " + n.name() + " via " + via.name() + " failed: " + e.getStatus(), e);
      }
    }
    removals++;
    boolean exited = cluster.awaitExitOrKill(n, EXIT_TIMEOUT_MS);
    return "removed " + n.name() + (leader != null ? " (the leader, " : " (") + Long.toHexString(m.getID()) + ") via "
        + via.name() + "; it "
        + (exited ? "stopped by itself" : "was killed");
  }

  @Override
  public String stop(DockerCluster cluster) throws IOException {
    if (target == null) {
      return "nothing to re-add";
    }
    Node n = target;
    List<Node> others = others(cluster, n);
    List<Member> group = ClusterApi.list(others);
    Optional<Member> m = ClusterApi.find(group, n);
    StringBuilder what = new StringBuilder();
    if (m.isEmpty()) {
      if (cluster.isRunning(n) || (n.liveness() & 1) == 0) {
        cluster.awaitExitOrKill(n, 0); // removed but still running (or never seen to stop): stop it now
      }
      boolean learner = rnd.nextBoolean();
      Node via = others.get(rnd.nextInt(others.size()));
      MemberAddResponse r;
      try {
        r = ClusterApi.add(via, ClusterApi.peerUrl(n), learner);
      } catch (StatusRuntimeException e) {
        throw new IOException("MemberAdd of " + n.name() + (learner ? " as a learner" : "") + " via " + via.name()
            + " failed: " + e.getStatus(), e);
      }
      readds++;
      String initialCluster = initialCluster(r.getMembersList(), n);
      what.append("added ").append(n.name()).append(" (").append(Long.toHexString(r.getMember().getID()))
          .append(learner ? ", learner" : "").append(") via ").append(via.name());
      cluster.restartAsNewMember(n, initialCluster);
      what.append("; restarted it empty with --initial-cluster ").append(initialCluster);
      m = Optional.of(r.getMember());
    } else if (!cluster.isRunning(n)) {
      // Added (maybe by a failed stop) but not running: start it as a new member.
      String initialCluster = initialCluster(group, n);
      cluster.restartAsNewMember(n, initialCluster);
      what.append("restarted ").append(n.name()).append(" (already added) empty with --initial-cluster ")
          .append(initialCluster);
    }
    if (m.get().getIsLearner()) {
      promote(cluster, n, m.get().getID(), others);
      what.append(what.length() == 0 ? "" : "; ").append("promoted ").append(n.name());
    }
    List<Member> after = ClusterApi.list(others);
    if (after.size() != cluster.nodes().size() || after.stream().anyMatch(Member::getIsLearner)
        || ClusterApi.find(after, n).isEmpty()) {
      throw new IOException("after re-adding " + n.name() + " the group is " + ClusterApi.describe(after));
    }
    cluster.awaitAllServing(SERVING_TIMEOUT_MS);
    target = null;
    return (what.length() == 0 ? n.name() + " was still in the group" : what.toString()) + "; group "
        + ClusterApi.describe(after);
  }

  /** Promotes the learner {@code id}, retrying (bounded) while the leader finds it not yet in sync. */
  private void promote(DockerCluster cluster, Node n, long id, List<Node> others) throws IOException {
    long deadline = System.nanoTime() + PROMOTE_TIMEOUT_MS * 1_000_000L;
    StatusRuntimeException last = null;
    int attempts = 0;
    while (System.nanoTime() < deadline) {
      Node via = others.get(attempts++ % others.size());
      try {
        ClusterApi.promote(via, id);
        promotions++;
        return;
      } catch (StatusRuntimeException e) {
        last = e;
        boolean notInSync = e.getStatus().getCode() == Status.Code.FAILED_PRECONDITION
            && String.valueOf(e.getStatus().getDescription()).contains("in sync");
        if (!notInSync) {
          // Maybe it took effect (a timeout) or the leader changed: the group says.
          try {
            Optional<Member> m = ClusterApi.find(ClusterApi.list(others), n);
            if (m.isPresent() && !m.get().getIsLearner()) {
              promotions++;
              return;
            }
          } catch (IOException listFailed) {
            LOG.debug("member list after a failed promote: {}", listFailed.toString());
          }
        }
      }
      sleep(RETRY_PAUSE_MS);
    }
    throw new IOException("could not promote " + n.name() + " within " + PROMOTE_TIMEOUT_MS + " ms ("
        + attempts + " attempts): " + (last == null ? "" : last.getStatus()), last);
  }

  /** --initial-cluster for {@code n} joining {@code group} (which lists it, still without its name). */
  static String initialCluster(List<Member> group, Node n) {
    String url = ClusterApi.peerUrl(n);
    List<Map.Entry<String, List<String>>> entries = new ArrayList<>();
    for (Member m : group) {
      String name = m.getPeerURLsList().contains(url) ? n.name() : m.getName();
      entries.add(Map.entry(name, List.copyOf(m.getPeerURLsList())));
    }
    if (entries.stream().noneMatch(e -> e.getKey().equals(n.name()))) {
      throw new IllegalArgumentException(n.name() + " is not in the group " + ClusterApi.describe(group));
    }
    return MemberArgs.initialCluster(entries);
  }

  /** The other members, the ones still up first. */
  private static List<Node> others(DockerCluster cluster, Node n) {
    List<Node> out = new ArrayList<>();
    for (Node o : cluster.nodes()) {
      if (o != n && (o.liveness() & 1) == 0) {
        out.add(o);
      }
    }
    for (Node o : cluster.nodes()) {
      if (o != n && !out.contains(o)) {
        out.add(o);
      }
    }
    return out;
  }

  private static void sleep(long ms) throws IOException {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  public int removals() {
    return removals;
  }

  public int readds() {
    return readds;
  }

  public int promotions() {
    return promotions;
  }
}
