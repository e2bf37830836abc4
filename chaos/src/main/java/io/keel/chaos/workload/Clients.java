package io.keel.chaos.workload;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/** Runs a workload's client threads (client i runs {@code body.accept(i)}) and joins them, bounded. */
public final class Clients {
  private Clients() {
  }

  /**
   * Starts {@code n} daemon threads named {@code name-i} and waits until all have returned.
   *
   * @throws IllegalStateException when one is still running {@code joinMs} after the call
   */
  public static void run(int n, String name, IntConsumer body, long joinMs) throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int client = i;
      Thread t = new Thread(() -> body.accept(client), name + "-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    long deadline = System.nanoTime() + joinMs * 1_000_000L;
    for (Thread t : threads) {
      t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      if (t.isAlive()) {
        t.interrupt();
        throw new IllegalStateException(t.getName() + " did not stop within " + joinMs + " ms");
      }
    }
  }
}
