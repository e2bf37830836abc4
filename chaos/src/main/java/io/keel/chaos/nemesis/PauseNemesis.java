package io.keel.chaos.nemesis;

import io.keel.chaos.cluster.DockerCluster;
import io.keel.chaos.cluster.Node;
import java.util.Random;

/** Pauses one member's processes (docker pause, the cgroup freezer) and resumes them on heal. */
public final class PauseNemesis implements Nemesis {
  private Node paused;

  @Override
  public String name() {
    return "pause";
  }

  @Override
  public String start(DockerCluster cluster, Random rnd) {
    if (paused != null) {
      throw new IllegalStateException("a member is already paused: " + paused.name());
    }
    Node n = rnd.nextBoolean() ? cluster.leader().orElse(null) : null;
    if (n == null) {
      n = cluster.nodes().get(rnd.nextInt(cluster.nodes().size()));
    }
    cluster.pause(n);
    paused = n;
    return "pause " + n.name();
  }

  @Override
  public String stop(DockerCluster cluster) {
    if (paused == null) {
      return "nothing to resume";
    }
    Node n = paused;
    cluster.unpause(n);
    paused = null;
    return "resumed " + n.name();
  }
}
