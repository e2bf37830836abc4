package io.keel.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.keel.proto.internal.ClusterMember;
import io.keel.proto.internal.MemberAttributes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * etcd 3.4's strict reconfiguration checks as pure functions of the group and of this member's peer connections:
 * "not enough started members" before "unhealthy cluster", a down voter may be removed, a connected one only if
 * the voters left that are connected still make a quorum; learners are exempt from the quorum checks.
 */
class MembershipRulesTest {
  static final long SELF = 1;
  static final long NOW = TimeUnit.SECONDS.toNanos(1000);
  static final long LONG_AGO = NOW - TimeUnit.SECONDS.toNanos(60);
  static final long JUST_NOW = NOW - TimeUnit.SECONDS.toNanos(2);

  final Map<Long, ClusterMember> group = new HashMap<>();
  final Map<Long, MemberAttributes> published = new HashMap<>();
  /** Peer id → since when it has been connected (0: not connected). */
  final Map<Long, Long> activeSince = new HashMap<>();

  void voter(long id, long connectedSince) {
    group.put(id, ClusterMember.newBuilder().setId(id).addPeerUrls("http://127.0.0.1:" + (2000 + id)).build());
    published.put(id, MemberAttributes.newBuilder().setName("m" + id).build());
    activeSince.put(id, connectedSince);
  }

  void learner(long id, long connectedSince) {
    group.put(id, ClusterMember.newBuilder().setId(id).addPeerUrls("http://127.0.0.1:" + (2000 + id))
        .setIsLearner(true).build());
    activeSince.put(id, connectedSince);
  }

  MembershipRules rules() {
    return new MembershipRules(group, Set.of(), published, new MembershipRules.Connectivity(SELF,
        id -> activeSince.getOrDefault(id, 0L), NOW));
  }

  static final List<String> NEW_URL = List.of("http://127.0.0.1:3999");

  @Test
  void addingNeedsEveryVoterConnectedForTheHealthInterval() {
    voter(SELF, 0); // this member: connected to itself whatever the transport says
    voter(2, LONG_AGO);
    voter(3, LONG_AGO);
    assertThat(rules().add(9, NEW_URL, false)).isNull();
    assertThat(rules().add(9, NEW_URL, true)).isNull();

    activeSince.put(3L, JUST_NOW); // reconnected 2 s ago
    assertThat(rules().add(9, NEW_URL, false)).isEqualTo(MemberErrors.UNHEALTHY);
    assertThat(rules().add(9, NEW_URL, true)).as("learners too (etcd's mayAddMember)")
        .isEqualTo(MemberErrors.UNHEALTHY);
    activeSince.put(3L, NOW - TimeUnit.MILLISECONDS.toNanos(MembershipRules.HEALTH_INTERVAL_MS));
    assertThat(rules().add(9, NEW_URL, false)).as("exactly the health interval").isNull();

    activeSince.put(3L, 0L); // down
    assertThat(rules().add(9, NEW_URL, false)).isEqualTo(MemberErrors.UNHEALTHY);
    assertThat(MemberErrors.UNHEALTHY.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(MemberErrors.UNHEALTHY.getDescription()).isEqualTo("etcdserver: unhealthy cluster");
  }

  @Test
  void aLearnerThatIsDownDoesNotMakeTheClusterUnhealthy() {
    voter(SELF, 0);
    voter(2, LONG_AGO);
    voter(3, LONG_AGO);
    learner(4, 0);
    assertThat(rules().add(9, NEW_URL, false)).isNull();
    assertThat(rules().remove(4)).isNull();
  }

  @Test
  void notEnoughStartedComesBeforeUnhealthy() {
    voter(SELF, 0);
    voter(2, 0);
    voter(3, 0);
    published.remove(2L);
    published.remove(3L); // two of three never published: a fourth voter would need three started
    assertThat(rules().add(9, NEW_URL, false)).isEqualTo(MemberErrors.NOT_ENOUGH_STARTED);
    assertThat(rules().add(9, NEW_URL, true)).as("a learner needs no started quorum, but a healthy one")
        .isEqualTo(MemberErrors.UNHEALTHY);
  }

  @Test
  void aDownVoterMayBeRemovedAConnectedOneOnlyIfTheRestKeepAQuorum() {
    voter(SELF, 0);
    voter(2, LONG_AGO);
    voter(3, 0); // down
    assertThat(rules().remove(3)).as("not part of the working quorum").isNull();
    assertThat(rules().remove(2)).as("would leave this member alone of two").isEqualTo(MemberErrors.UNHEALTHY);
    assertThat(rules().remove(SELF)).as("itself, likewise").isEqualTo(MemberErrors.UNHEALTHY);

    activeSince.put(3L, LONG_AGO);
    assertThat(rules().remove(2)).isNull();
    assertThat(rules().remove(SELF)).isNull();
    activeSince.put(3L, JUST_NOW); // connected, but not for the health interval: counts as active, not healthy
    assertThat(rules().remove(3)).isEqualTo(MemberErrors.UNHEALTHY);
    assertThat(rules().remove(2)).isEqualTo(MemberErrors.UNHEALTHY);
  }

  @Test
  void fiveVotersTolerateOneDownWhenRemovingAHealthyOne() {
    voter(SELF, 0);
    voter(2, LONG_AGO);
    voter(3, LONG_AGO);
    voter(4, LONG_AGO);
    voter(5, 0);
    assertThat(rules().remove(2)).as("4 connected - 1 = 3 >= quorum of 5").isNull();
    activeSince.put(4L, 0L);
    assertThat(rules().remove(2)).as("3 connected - 1 = 2 < 3").isEqualTo(MemberErrors.UNHEALTHY);
    assertThat(rules().remove(4)).as("a down one may still go").isNull();
    assertThat(rules().remove(99)).isEqualTo(MemberErrors.NOT_FOUND);
  }
}
