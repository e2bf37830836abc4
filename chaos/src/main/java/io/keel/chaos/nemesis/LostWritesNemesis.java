package io.keel.chaos.nemesis;

import io.keel.chaos.cluster.DockerCluster;
import io.keel.chaos.cluster.MemberTools;
import io.keel.chaos.cluster.Node;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Loss of un-fsynced writes on a crash, as on a power loss: kill -9 of one member, a majority or all of them at
 * once, and on heal each restarts from only what it had fsynced. The members run with the fsync ledger shim
 * (chaos/src/main/c/fsledger.c, preloaded into the JVM by keel-node-run.sh); before the kill the nemesis leaves
 * a {@code crash} request in the member's state directory, and at the next start keel-node-run.sh reverts every
 * file under /data to its synced state (keel-fsrevert: files never synced deleted, unsynced tails truncated or
 * zeroed) before the member starts. Needs a cluster started with file-system faults (see {@link #memberTools}).
 */
public final class LostWritesNemesis implements Nemesis {
  /** How many members crash together: ANY draws one of the others each time. */
  public enum Scope { ANY, ONE, MAJORITY, ALL }

  private final Scope scope;
  private final List<Node> crashed = new ArrayList<>();

  public LostWritesNemesis(Scope scope) {
    this.scope = scope;
  }

  @Override
  public String name() {
    return switch (scope) {
      case ANY -> "lost-writes";
      case ONE -> "lost-writes-one";
      case MAJORITY -> "lost-writes-majority";
      case ALL -> "lost-writes-all";
    };
  }

  @Override
  public java.util.Set<MemberTools> memberTools() {
    return java.util.Set.of(MemberTools.FS_LEDGER);
  }

  @Override
  public String start(DockerCluster cluster, Random rnd) throws IOException {
    if (!crashed.isEmpty()) {
      throw new IllegalStateException("members are already crashed: " + crashed);
    }
    int size = cluster.nodes().size();
    Scope s = scope == Scope.ANY ? Scope.values()[1 + rnd.nextInt(3)] : scope;
    int count = switch (s) {
      case ONE -> 1;
      case MAJORITY -> size / 2 + 1;
      default -> size;
    };
    List<Node> targets = new ArrayList<>(cluster.nodes());
    Collections.shuffle(targets, rnd);
    targets = targets.subList(0, count);
    // Ask for the revert first: whatever the member syncs until the kill lands is in its ledger.
    for (Node n : targets) {
      cluster.exec(n, "touch", DockerCluster.FS_STATE_DIR + "/crash");
    }
    for (Node n : targets) {
      cluster.kill(n);
      crashed.add(n);
    }
    return "crash (lose unsynced writes) " + targets.stream().map(Node::name).toList();
  }

  @Override
  public String stop(DockerCluster cluster) throws IOException {
    if (crashed.isEmpty()) {
      return "nothing to restart";
    }
    List<Node> members = List.copyOf(crashed);
    crashed.clear();
    cluster.restartAll(members);
    List<String> done = new ArrayList<>();
    for (Node n : members) {
      done.add(n.name() + " (" + revertSummary(cluster, n) + ")");
    }
    return "restarted from synced state " + done;
  }

  /** The last revert line keel-node-run.sh logged for this member. */
  private static String revertSummary(DockerCluster cluster, Node n) {
    String log = cluster.logs(n);
    int i = log.lastIndexOf("lost-writes revert");
    if (i < 0) {
      return "no revert logged";
    }
    int end = log.indexOf('\n', i);
    return log.substring(i, end < 0 ? log.length() : end).trim();
  }
}
