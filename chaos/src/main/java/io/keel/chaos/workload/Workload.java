package io.keel.chaos.workload;

import io.keel.chaos.cluster.DockerCluster;
import io.keel.chaos.history.Op;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A chaos workload plug-in: its clients and their operation generator ({@link #run}), an optional phase after
 * the faults are healed ({@link #finish}, e.g. a final read), and its checker with its report section
 * ({@link #check}). {@link ChaosRun} runs any number of workloads at once on one cluster under one nemesis
 * schedule and combines their sections into one report. Clients never retry a non-idempotent operation and
 * record unknown outcomes as such; every client loop is bounded by count and by the deadline.
 */
public interface Workload {
  /** The name used by {@code --workload} and in reports, e.g. "set". */
  String name();

  /** Runs the clients against {@code cluster} until {@code deadlineNanos} ({@link System#nanoTime()}). */
  void run(DockerCluster cluster, long deadlineNanos) throws InterruptedException;

  /** Runs after every client stopped and every fault was healed (final reads, catching up). Bounded. */
  default void finish(DockerCluster cluster) throws InterruptedException {
  }

  /**
   * Saves this workload's histories into {@code dir}, checks them and returns its report section.
   *
   * @param nemesisEvents the run's fault starts and stops (same time base as the workload's recorders)
   */
  WorkloadReport check(Path dir, List<Op> nemesisEvents) throws IOException;
}
