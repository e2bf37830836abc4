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

/**
 * etcd 3.4's checks before a membership change (RaftCluster.ValidateConfigurationChange and the strict
 * reconfiguration checks IsReadyTo{Add,Remove,Promote}...), over one view of the group. Each returns null when
 * the change may go ahead, else etcd's status. A member counts as started once it has published its name.
 */
public final class MembershipRules {
  /** etcd 3.4 allows one learner at a time. */
  public static final int MAX_LEARNERS = 1;

  private final Map<Long, ClusterMember> group;
  private final Set<Long> removed;
  private final Map<Long, MemberAttributes> published;

  public MembershipRules(Map<Long, ClusterMember> group, Set<Long> removed, Map<Long, MemberAttributes> published) {
    this.group = group;
    this.removed = removed;
    this.published = published;
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
    if (!m.getIsLearner() && !readyToRemoveVoter(id)) {
      return MemberErrors.NOT_ENOUGH_STARTED;
    }
    return null;
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
