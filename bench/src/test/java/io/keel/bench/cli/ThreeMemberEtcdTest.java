package io.keel.bench.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.bench.cluster.EtcdCluster;
import io.keel.bench.load.Endpoints;
import io.keel.bench.load.EtcdConnections;
import io.keel.bench.report.BenchResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The launcher brings up a real 3-member etcd cluster, and --target-leader finds its leader. */
class ThreeMemberEtcdTest {

  @Test
  void threeMemberClusterServesPutsThroughTheLeader(@TempDir Path dir) throws Exception {
    try (EtcdCluster etcd = EtcdCluster.start(dir, 3, EtcdCluster.DEFAULT_BINARY)) {
      assertThat(etcd.clientEndpoints()).hasSize(3).doesNotHaveDuplicates();
      String all = String.join(",", etcd.clientEndpoints());
      Endpoints.HostPort leader = EtcdConnections.findLeader(Endpoints.parseLoopback(all));
      assertThat(etcd.clientEndpoints()).contains(leader.toString());

      PutCommand put = new PutCommand();
      new CommandLine(put).parseArgs("--endpoints", all, "--target-leader", "--clients", "3", "--conns", "3",
          "--total", "60", "--val-size", "256");
      put.out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
      BenchResult r = put.execute();
      assertThat(r.count()).isEqualTo(60);
      assertThat(r.errors()).isZero();
    }
  }
}
