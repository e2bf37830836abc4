package io.keel.chaos.nemesis;

import io.keel.chaos.cluster.DockerCluster;
import io.keel.chaos.cluster.Node;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Network partitions with iptables inside the members' containers: random halves, the leader isolated from
 * everyone, or a one-way cut (one member's peer traffic to another is dropped, the reverse direction flows).
 * Client traffic from the test JVM is never cut (it comes from the network's gateway, not a member).
 * Healing flushes every member's rules.
 */
public final class PartitionNemesis implements Nemesis {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionNemesis.class);

  /** Which partition to make. ANY picks one of the others at random each time. */
  public enum Mode { ANY, RANDOM_HALVES, ISOLATE_LEADER, ONE_WAY }

  private final Mode mode;
  private boolean active;

  public PartitionNemesis(Mode mode) {
    this.mode = mode;
  }

  @Override
  public String name() {
    return switch (mode) {
      case ANY -> "partition";
      case RANDOM_HALVES -> "partition-halves";
      case ISOLATE_LEADER -> "isolate-leader";
      case ONE_WAY -> "one-way";
    };
  }

  @Override
  public String start(DockerCluster cluster, Random rnd) throws IOException {
    Mode m = mode == Mode.ANY ? Mode.values()[1 + rnd.nextInt(3)] : mode;
    List<Node> nodes = new ArrayList<>(cluster.nodes());
    active = true;
    switch (m) {
      case RANDOM_HALVES -> {
        Collections.shuffle(nodes, rnd);
        int cut = 1 + rnd.nextInt(Math.max(1, nodes.size() / 2));
        List<Node> a = nodes.subList(0, cut);
        List<Node> b = nodes.subList(cut, nodes.size());
        cutBetween(cluster, a, b);
        return "halves " + names(a) + " | " + names(b);
      }
      case ISOLATE_LEADER -> {
        Node leader = cluster.leader().orElse(nodes.get(rnd.nextInt(nodes.size())));
        List<Node> rest = new ArrayList<>(nodes);
        rest.remove(leader);
        cutBetween(cluster, List.of(leader), rest);
        return "isolated leader " + leader.name() + " | " + names(rest);
      }
      case ONE_WAY -> {
        Collections.shuffle(nodes, rnd);
        Node from = nodes.get(0);
        Node to = nodes.get(1);
        // Drop from's packets to to's peer port: from can no longer send to `to`, while `to` still reaches from.
        cluster.exec(to, "iptables", "-A", "INPUT", "-s", from.ip(), "-p", "tcp", "--dport", "2380", "-j", "DROP");
        return "one-way " + from.name() + " -/-> " + to.name();
      }
      default -> throw new IllegalStateException("unreachable");
    }
  }

  private static void cutBetween(DockerCluster cluster, List<Node> a, List<Node> b) throws IOException {
    for (Node x : a) {
      for (Node y : b) {
        drop(cluster, x, y);
        drop(cluster, y, x);
      }
    }
  }

  private static void drop(DockerCluster cluster, Node on, Node peer) throws IOException {
    cluster.exec(on, "iptables", "-A", "INPUT", "-s", peer.ip(), "-j", "DROP");
    cluster.exec(on, "iptables", "-A", "OUTPUT", "-d", peer.ip(), "-j", "DROP");
  }

  @Override
  public String stop(DockerCluster cluster) throws IOException {
    if (!active) {
      return "nothing to heal";
    }
    for (Node n : cluster.nodes()) {
      try {
        if (cluster.isRunning(n)) {
          cluster.exec(n, "iptables", "-F");
        }
      } catch (IOException | RuntimeException e) {
        LOG.warn("healing {} failed: {}", n, e.toString());
      }
    }
    active = false;
    return "healed";
  }

  private static String names(List<Node> nodes) {
    return nodes.stream().map(Node::name).toList().toString();
  }
}
