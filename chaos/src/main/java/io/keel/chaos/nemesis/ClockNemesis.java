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
 * Wall-clock jumps: one member's clock, or every member's by a different amount, jumps forward or back by
 * seconds, minutes or a day; heal sets every offset back to zero (a second jump). Members run with the clock
 * shim libkeelclock.so preloaded (chaos/src/main/c/clockshift.c, keel-node-run.sh), which reads the offset from a
 * file the nemesis rewrites; the host's clock is
 * never touched (containers share the kernel's). Only the wall clock moves: a real clock step never moves
 * CLOCK_MONOTONIC, which the JVM's System.nanoTime (Raft ticks, leases, deadlines) reads.
 */
public final class ClockNemesis implements Nemesis {
  private static final String OFFSET_FILE = DockerCluster.FS_STATE_DIR + "/clock-offset";
  private final List<Node> skewed = new ArrayList<>();

  @Override
  public String name() {
    return "clock";
  }

  @Override
  public java.util.Set<MemberTools> memberTools() {
    return java.util.Set.of(MemberTools.CLOCK_SHIFT);
  }

  @Override
  public String start(DockerCluster cluster, Random rnd) throws IOException {
    if (!skewed.isEmpty()) {
      throw new IllegalStateException("clocks are already skewed on " + skewed);
    }
    List<Node> targets = new ArrayList<>(cluster.nodes());
    Collections.shuffle(targets, rnd);
    if (rnd.nextBoolean()) {
      targets = targets.subList(0, 1);
    }
    List<String> done = new ArrayList<>();
    for (Node n : targets) {
      long offsetSec = switch (rnd.nextInt(3)) {
        case 0 -> 1 + rnd.nextInt(10);
        case 1 -> 60 + rnd.nextInt(300);
        default -> 86_400;
      } * (rnd.nextBoolean() ? 1 : -1);
      String offset = (offsetSec > 0 ? "+" : "") + offsetSec + "s";
      setOffset(cluster, n, offset);
      skewed.add(n);
      done.add(n.name() + " " + offset);
    }
    return "clock jump " + done;
  }

  @Override
  public String stop(DockerCluster cluster) throws IOException {
    if (skewed.isEmpty()) {
      return "nothing to reset";
    }
    List<String> reset = new ArrayList<>();
    for (Node n : List.copyOf(skewed)) {
      if (cluster.isRunning(n)) {
        setOffset(cluster, n, "+0");
        reset.add(n.name());
      }
      skewed.remove(n);
    }
    return "clocks reset " + reset;
  }

  private static void setOffset(DockerCluster cluster, Node n, String offset) throws IOException {
    if (!offset.matches("[+-]\\d+s?")) {
      throw new IllegalArgumentException("bad clock offset " + offset);
    }
    cluster.exec(n, "sh", "-c", "echo '" + offset + "' > " + OFFSET_FILE);
  }
}
