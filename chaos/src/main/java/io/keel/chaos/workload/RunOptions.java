package io.keel.chaos.workload;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * One chaos run's settings.
 *
 * @param image node image (local/keel-node:...), or null to build it with scripts/build-node-image.sh
 * @param nodes cluster size
 * @param nemeses nemesis names (see Nemesis.named); empty for none
 * @param timeLimitMs how long clients run
 * @param concurrency client threads
 * @param opTimeoutMs client request deadline
 * @param quietMs healthy time between two faults
 * @param faultMs how long each fault lasts
 * @param seed random seed for the workload and the schedule
 * @param testingFaults --unsafe-testing-faults for the members (negative controls)
 * @param runsDir where the run's directory (a timestamp) is made
 */
public record RunOptions(String image, int nodes, List<String> nemeses, long timeLimitMs, int concurrency,
    long opTimeoutMs, long quietMs, long faultMs, long seed, Set<String> testingFaults, Path runsDir) {
  public RunOptions {
    if (timeLimitMs < 1_000 || timeLimitMs > 24L * 3600 * 1000) {
      throw new IllegalArgumentException("--time-limit must be in [1 s, 24 h], got " + timeLimitMs + " ms");
    }
    nemeses = List.copyOf(nemeses);
    testingFaults = Set.copyOf(testingFaults);
  }
}
