package io.keel.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

/** Assertions shared by the cluster ITs. */
final class ClusterChecks {
  private ClusterChecks() {
  }

  /**
   * Reads (linearizably) every key under {@code prefix} from member {@code index} and asserts that every put
   * the load saw acknowledged is there with its value, and that the member's revision is not behind the
   * highest acknowledged one.
   */
  static ProcessCluster.Read assertAllAckedReadable(ProcessCluster cluster, int index, String prefix,
      WriteLoad load) {
    Map<String, String> acked = load.acked();
    ProcessCluster.Read read = cluster.readPrefix(index, prefix, false);
    long missing = acked.keySet().stream().filter(k -> !read.values().containsKey(k)).count();
    assertThat(missing).as("acknowledged keys missing on %s (of %d acked)", cluster.member(index), acked.size())
        .isZero();
    assertThat(read.values()).as("values on %s", cluster.member(index)).containsAllEntriesOf(acked);
    assertThat(read.revision()).as("revision on %s", cluster.member(index))
        .isGreaterThanOrEqualTo(load.maxAckedRevision());
    return read;
  }
}
