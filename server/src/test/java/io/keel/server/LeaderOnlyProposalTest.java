package io.keel.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.internal.InternalRequest;
import io.keel.server.raft.RaftMember;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A proposal bound to a leader term (lease expiry revokes) is committed only if its member still leads in that
 * term: a follower or an old leader gets "etcdserver: not leader" and the request is never forwarded to the
 * current leader (etcd #15247: a resumed old leader revoked leases the new leader had kept alive).
 */
class LeaderOnlyProposalTest {
  @TempDir Path dir;

  @Test
  void onlyTheLeaderOfThatTermMayCommitIt() throws Exception {
    try (MemberCluster c = MemberCluster.builder(dir, 3).start()) {
      int leader = c.awaitLeader();
      int follower = (leader + 1) % 3;
      RaftMember lm = c.servers[leader].member();
      long term = lm.term();

      assertNotLeader(c.servers[follower].member(), put("from-follower"), term);
      assertNotLeader(lm, put("stale-term"), term - 1);
      assertNotLeader(lm, put("future-term"), term + 1);
      lm.writeAsLeader(put("from-leader"), term).get(15, TimeUnit.SECONDS);

      for (int i = 0; i < 3; i++) {
        int m = i;
        org.awaitility.Awaitility.await().untilAsserted(() -> assertThat(keys(c, m)).containsExactly("from-leader"));
      }
    }
  }

  private static InternalRequest.Builder put(String key) {
    return InternalRequest.newBuilder()
        .setPut(PutRequest.newBuilder().setKey(MemberCluster.b(key)).setValue(MemberCluster.b("v")));
  }

  private static void assertNotLeader(RaftMember m, InternalRequest.Builder req, long term) {
    assertThatThrownBy(() -> m.writeAsLeader(req, term).get(15, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).hasMessageContaining("etcdserver: not leader");
  }

  private static java.util.List<String> keys(MemberCluster c, int i) {
    return c.kv(i).range(RangeRequest.newBuilder().setKey(MemberCluster.b("\0")).setRangeEnd(MemberCluster.b("\0"))
        .setSerializable(true).build()).getKvsList().stream().map(kv -> kv.getKey().toStringUtf8()).toList();
  }
}
