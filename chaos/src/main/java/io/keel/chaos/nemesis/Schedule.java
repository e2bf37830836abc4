package io.keel.chaos.nemesis;

import io.keel.chaos.cluster.DockerCluster;
import io.keel.chaos.history.Recorder;
import java.util.List;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mixes nemeses over a run: quiet for {@code quietMs}, then one randomly chosen nemesis's fault for
 * {@code faultMs}, healed, and again until the deadline. Every start and stop is recorded in the history as a
 * nemesis event ({@code start-<name>} stamped when the injection began, {@code stop-<name>} when the heal
 * completed, so the two bound every moment the fault may act); a failed injection is recorded too and the run
 * goes on. On exit every nemesis is healed.
 */
public final class Schedule implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(Schedule.class);

  private final DockerCluster cluster;
  private final List<Nemesis> nemeses;
  private final Recorder recorder;
  private final Random rnd;
  private final long quietMs;
  private final long faultMs;
  private final long deadlineNanos;
  private int faultsInjected;

  public Schedule(DockerCluster cluster, List<Nemesis> nemeses, Recorder recorder, long seed, long quietMs,
      long faultMs, long deadlineNanos) {
    if (quietMs <= 0 || faultMs <= 0) {
      throw new IllegalArgumentException("quietMs and faultMs must be positive");
    }
    this.cluster = cluster;
    this.nemeses = List.copyOf(nemeses);
    this.recorder = recorder;
    this.rnd = new Random(seed);
    this.quietMs = quietMs;
    this.faultMs = faultMs;
    this.deadlineNanos = deadlineNanos;
  }

  @Override
  public void run() {
    if (nemeses.isEmpty()) {
      return;
    }
    try {
      while (remainingMs() > quietMs + faultMs / 2) {
        Thread.sleep(quietMs);
        Nemesis n = nemeses.get(rnd.nextInt(nemeses.size()));
        long began = System.nanoTime();
        try {
          String what = n.start(cluster, rnd);
          faultsInjected++;
          recorder.nemesisAt("start-" + n.name(), what, began);
          LOG.info("nemesis: {}", what);
        } catch (Exception e) {
          recorder.nemesisAt("error-" + n.name(), e.toString(), began);
          LOG.warn("nemesis {} failed to start: {}", n.name(), e.toString());
        }
        Thread.sleep(Math.max(0, Math.min(faultMs, remainingMs() - 1000)));
        heal(n);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      for (Nemesis n : nemeses) {
        heal(n);
      }
    }
  }

  private void heal(Nemesis n) {
    try {
      String what = n.stop(cluster);
      if (!what.startsWith("nothing")) {
        recorder.nemesis("stop-" + n.name(), what);
        LOG.info("nemesis: {}", what);
      }
    } catch (Exception e) {
      recorder.nemesis("error-" + n.name(), "heal failed: " + e);
      LOG.warn("nemesis {} failed to heal: {}", n.name(), e.toString());
    }
  }

  private long remainingMs() {
    return (deadlineNanos - System.nanoTime()) / 1_000_000;
  }

  public int faultsInjected() {
    return faultsInjected;
  }
}
