package io.keel.chaos.nemesis;

import io.keel.chaos.cluster.DockerCluster;
import io.keel.chaos.cluster.Node;
import java.io.IOException;
import java.util.Random;

/**
 * kill -9 of one member (the leader half of the time), and restart on heal. The container keeps its files and
 * IP; its client port on the host changes and the cluster reconnects to the new one.
 */
public final class KillNemesis implements Nemesis {
  private Node killed;

  @Override
  public String name() {
    return "kill";
  }

  @Override
  public String start(DockerCluster cluster, Random rnd) throws IOException {
    if (killed != null) {
      throw new IllegalStateException("a member is already killed: " + killed.name());
    }
    Node n = rnd.nextBoolean() ? cluster.leader().orElse(null) : null;
    if (n == null) {
      n = cluster.nodes().get(rnd.nextInt(cluster.nodes().size()));
    }
    cluster.kill(n);
    killed = n;
    return "kill -9 " + n.name();
  }

  @Override
  public String stop(DockerCluster cluster) throws IOException {
    if (killed == null) {
      return "nothing to restart";
    }
    Node n = killed;
    cluster.restart(n);
    killed = null;
    return "restarted " + n.name() + " (client port " + n.clientPort() + ")";
  }
}
