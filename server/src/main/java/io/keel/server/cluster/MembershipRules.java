package io.keel.server.cluster;

import io.grpc.Status;
import io.keel.proto.internal.ClusterMember;
import io.keel.proto.internal.MemberAttributes;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;

/**
 * etcd 3.4's checks before a membership change (RaftCluster.ValidateConfigurationChange and the strict
 * reconfiguration checks IsReadyTo{Add,Remove,Promote}..., mayAddMember, mayRemoveMember), over one view of the
 * group and of this member's peer connections. Each returns null when the change may go ahead, else etcd's
 * status. A member counts as started once it has published its name; a peer counts as connected once this member
 * has been connected to it without a break for {@link #HEALTH_INTERVAL_MS} (etcd's HealthInterval).
 */
public final class MembershipRules {
  /** etcd 3.4 allows one learner at a time. */
  public static final int MAX_LEARNERS = 1;
  /** etcd's HealthInterval: how long a peer must have been connected to count towards a healthy cluster. */
  public static final long HEALTH_INTERVAL_MS = 5000;

  /**
   * What this member knows of its peer connections at one instant.
   *
   * @param selfId this member (always connected to itself)
   * @param activeSinceNanos a peer's id to since when (System.nanoTime) it has been connected, 0 if it is not
   * @param nowNanos the instant (System.nanoTime)
   */
  public record Connectivity(long selfId, LongUnaryOperator activeSinceNanos, long nowNanos) {
    boolean active(long id) {
      return id == selfId || activeSinceNanos.applyAsLong(id) != 0;
    }

    /** Connected without a break for at least the health interval (etcd's isConnectedSince). */
    boolean healthy(long id) {
      long since = activeSinceNanos.applyAsLong(id);
      return id == selfId
          || (since != 0 && nowNanos - since >= TimeUnit.MILLISECONDS.toNanos(HEALTH_INTERVAL_MS));
    }
  }

  private final Map<Long, ClusterMember> group;
  private final Set<Long> removed;
  private final Map<Long, MemberAttributes> published;
  private final Connectivity peers;

  public MembershipRules(Map<Long, ClusterMember> group, Set<Long> removed, Map<Long, MemberAttributes> published,
      Connectivity peers) {
    this.group = group;
    this.removed = removed;
    this.published = published;
    this.peers = peers;
  }

  /** Parses peer URLs as etcd's types.NewURLs does (http with host and port, no path); null if invalid. */
  public static List<String> parsePeerUrls(List<String> urls) {
    if (urls.isEmpty()) {
      return null;
    }
    List<String> out = new ArrayList<>();
    for (String s : urls) {
      try {
        URI u = new URI(s);
        if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
          return null;
        }
        if (u.getHost() == null || u.getPort() <= 0 || (u.getPath() != null && !u.getPath().isEmpty())) {
          return null;
        }
      } catch (URISyntaxException e) {
        return null;
      }
      out.add(s);
    }
    return out;
  }

  public Status add(long id, List<String> peerUrls, boolean learner) {
    if (!learner && !readyToAddVoter()) {
      return MemberErrors.NOT_ENOUGH_STARTED;
    }
    if (healthyVoters() < voters()) {
      return MemberErrors.UNHEALTHY; // etcd's mayAddMember: every voter connected for the health interval
    }
    if (removed.contains(id)) {
      return MemberErrors.NOT_FOUND;
    }
    if (group.containsKey(id)) {
      return MemberErrors.MEMBER_EXIST;
    }
    if (urlTaken(peerUrls, -1)) {
      return MemberErrors.PEER_URL_EXIST;
    }
    if (learner && group.values().stream().filter(ClusterMember::getIsLearner).count() + 1 > MAX_LEARNERS) {
      return MemberErrors.TOO_MANY_LEARNERS;
    }
    return null;
  }

  public Status remove(long id) {
    ClusterMember m = group.get(id);
    if (m == null) {
      return MemberErrors.NOT_FOUND;
    }
    if (m.getIsLearner()) {
      return null;
    }
    if (!readyToRemoveVoter(id)) {
      return MemberErrors.NOT_ENOUGH_STARTED;
    }
    if (!peers.active(id)) {
      return null; // a member that is down is not part of the working quorum: removing it is safe
    }
    // the voters left, counting only those connected for the health interval, must still make a quorum
    return healthyVoters() - 1 < 1 + (voters() - 1) / 2 ? MemberErrors.UNHEALTHY : null;
  }

  public Status update(long id, List<String> peerUrls) {
    if (!group.containsKey(id)) {
      return MemberErrors.NOT_FOUND;
    }
    return urlTaken(peerUrls, id) ? MemberErrors.PEER_URL_EXIST : null;
  }

  /** The checks after the leader found the learner in sync. */
  public Status promote(long id) {
    if (!readyToPromote()) {
      return MemberErrors.NOT_ENOUGH_STARTED;
    }
    ClusterMember m = group.get(id);
    if (m == null) {
      return MemberErrors.NOT_FOUND;
    }
    return m.getIsLearner() ? null : MemberErrors.NOT_LEARNER;
  }

  /** etcd's isLearnerReady: the learner's match is at least 90% of the leader's. */
  public static boolean inSync(long learnerMatch, long leaderMatch) {
    return learnerMatch < 0 || (double) learnerMatch >= leaderMatch * 0.9;
  }

  private int voters() {
    return (int) group.values().stream().filter(m -> !m.getIsLearner()).count();
  }

  private int healthyVoters() {
    return (int) group.values().stream().filter(m -> !m.getIsLearner() && peers.healthy(m.getId())).count();
  }

  private boolean urlTaken(List<String> urls, long except) {
    for (ClusterMember m : group.values()) {
      if (m.getId() != except && m.getPeerUrlsList().stream().anyMatch(urls::contains)) {
        return true;
      }
    }
    return false;
  }

  private boolean started(ClusterMember m) {
    MemberAttributes a = published.get(m.getId());
    return a != null && !a.getName().isEmpty();
  }

  private boolean readyToAddVoter() {
    int members = 1;
    int started = 0;
    for (ClusterMember m : group.values()) {
      if (!m.getIsLearner()) {
        members++;
        started += started(m) ? 1 : 0;
      }
    }
    if (started == 1 && members == 2) {
      return true; // adding a second member to a one-member cluster
    }
    return started >= members / 2 + 1;
  }

  private boolean readyToRemoveVoter(long id) {
    int members = 0;
    int started = 0;
    for (ClusterMember m : group.values()) {
      if (!m.getIsLearner() && m.getId() != id) {
        members++;
        started += started(m) ? 1 : 0;
      }
    }
    return started >= members / 2 + 1;
  }

  private boolean readyToPromote() {
    int members = 1;
    int started = 1;
    for (ClusterMember m : group.values()) {
      if (!m.getIsLearner()) {
        members++;
        started += started(m) ? 1 : 0;
      }
    }
    return started >= members / 2 + 1;
  }
}
