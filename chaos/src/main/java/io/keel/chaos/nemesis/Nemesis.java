package io.keel.chaos.nemesis;

import io.keel.chaos.cluster.DockerCluster;
import io.keel.chaos.cluster.MemberTools;
import java.io.IOException;
import java.util.Random;

/**
 * A fault injector. {@link #start} injects one fault and {@link #stop} heals it; both return a short
 * description that the schedule records as a nemesis event in the history. At most one fault of a nemesis is
 * active at a time; {@link #stop} is safe to call when nothing is active.
 */
public interface Nemesis {
  /** Name used on the command line and in histories, e.g. "partition". */
  String name();

  String start(DockerCluster cluster, Random rnd) throws IOException;

  String stop(DockerCluster cluster) throws IOException;

  /**
   * What the members must run with for this nemesis (DockerCluster.start's tools: {@link MemberTools#FS_LEDGER},
   * {@link MemberTools#CLOCK_SHIFT}); empty for most.
   */
  default java.util.Set<MemberTools> memberTools() {
    return java.util.Set.of();
  }

  /** How long a {@link #stop} (heal) may take at most; a run waits this long for the last heal. */
  default long healBoundMs() {
    return 60_000;
  }

  /** The union of what these nemeses need. */
  static java.util.Set<MemberTools> memberTools(java.util.List<Nemesis> nemeses) {
    java.util.Set<MemberTools> all = java.util.EnumSet.noneOf(MemberTools.class);
    nemeses.forEach(n -> all.addAll(n.memberTools()));
    return all;
  }

  /** Every name {@link #named} accepts. */
  java.util.List<String> KNOWN = java.util.List.of("partition", "partition-halves", "isolate-leader", "one-way",
      "kill", "pause", "lost-writes", "lost-writes-one", "lost-writes-majority", "lost-writes-all", "bitflip",
      "clock", "membership");

  /** Builds a nemesis from its command-line name. */
  static Nemesis named(String name) {
    return switch (name) {
      case "partition" -> new PartitionNemesis(PartitionNemesis.Mode.ANY);
      case "partition-halves" -> new PartitionNemesis(PartitionNemesis.Mode.RANDOM_HALVES);
      case "isolate-leader" -> new PartitionNemesis(PartitionNemesis.Mode.ISOLATE_LEADER);
      case "one-way" -> new PartitionNemesis(PartitionNemesis.Mode.ONE_WAY);
      case "kill" -> new KillNemesis();
      case "pause" -> new PauseNemesis();
      case "lost-writes" -> new LostWritesNemesis(LostWritesNemesis.Scope.ANY);
      case "lost-writes-one" -> new LostWritesNemesis(LostWritesNemesis.Scope.ONE);
      case "lost-writes-majority" -> new LostWritesNemesis(LostWritesNemesis.Scope.MAJORITY);
      case "lost-writes-all" -> new LostWritesNemesis(LostWritesNemesis.Scope.ALL);
      case "bitflip" -> new BitFlipNemesis();
      case "clock" -> new ClockNemesis();
      case "membership" -> new MembershipNemesis();
      default -> throw new IllegalArgumentException("unknown nemesis '" + name + "' (known: " + String.join(", ", KNOWN)
          + ")");
    };
  }
}
