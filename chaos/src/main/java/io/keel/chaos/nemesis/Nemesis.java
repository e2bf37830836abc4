package io.keel.chaos.nemesis;

import io.keel.chaos.cluster.DockerCluster;
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

  /** Builds a nemesis from its command-line name. */
  static Nemesis named(String name) {
    return switch (name) {
      case "partition" -> new PartitionNemesis(PartitionNemesis.Mode.ANY);
      case "partition-halves" -> new PartitionNemesis(PartitionNemesis.Mode.RANDOM_HALVES);
      case "isolate-leader" -> new PartitionNemesis(PartitionNemesis.Mode.ISOLATE_LEADER);
      case "one-way" -> new PartitionNemesis(PartitionNemesis.Mode.ONE_WAY);
      case "kill" -> new KillNemesis();
      case "pause" -> new PauseNemesis();
      default -> throw new IllegalArgumentException("unknown nemesis '" + name
          + "' (known: partition, partition-halves, isolate-leader, one-way, kill, pause)");
    };
  }
}
