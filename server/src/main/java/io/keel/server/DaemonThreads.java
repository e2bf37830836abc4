package io.keel.server;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Thread factories for a member's background pools: daemon threads (never keep a JVM up), named for dumps. */
public final class DaemonThreads {
  private DaemonThreads() {}

  /** Every thread is called {@code name} (single-thread executors). */
  public static ThreadFactory named(String name) {
    return r -> daemon(r, name);
  }

  /** Threads called {@code prefix-1}, {@code prefix-2}, ... */
  public static ThreadFactory numbered(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> daemon(r, prefix + "-" + n.incrementAndGet());
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
