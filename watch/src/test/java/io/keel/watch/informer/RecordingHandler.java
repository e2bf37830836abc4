package io.keel.watch.informer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Records handler calls as strings ("add k v", "update k old>new", "delete k last") in call order. */
final class RecordingHandler implements EventHandler<String> {
  private final List<String> calls = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();

  @Override
  public synchronized void onAdd(String key, String object) {
    calls.add("add " + key + " " + object);
    threads.add(Thread.currentThread());
    notifyAll();
  }

  @Override
  public synchronized void onUpdate(String key, String oldObject, String newObject) {
    calls.add((oldObject == newObject ? "resync " : "update ") + key + " " + oldObject + ">" + newObject);
    threads.add(Thread.currentThread());
    notifyAll();
  }

  @Override
  public synchronized void onDelete(String key, String lastObject) {
    calls.add("delete " + key + " " + lastObject);
    threads.add(Thread.currentThread());
    notifyAll();
  }

  synchronized List<String> calls() {
    return new ArrayList<>(calls);
  }

  /** Calls other than resyncs. */
  synchronized List<String> changes() {
    return calls.stream().filter(c -> !c.startsWith("resync ")).toList();
  }

  synchronized long distinctThreads() {
    return threads.stream().distinct().count();
  }

  /** Waits until at least {@code n} non-resync calls were made; fails after {@code timeoutMs}. */
  synchronized List<String> awaitChanges(int n, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (changes().size() < n) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        throw new AssertionError("only " + changes().size() + " of " + n + " calls after " + timeoutMs + " ms: "
            + changes());
      }
      wait(left);
    }
    return changes();
  }
}
