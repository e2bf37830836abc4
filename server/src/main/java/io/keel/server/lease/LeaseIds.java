package io.keel.server.lease;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Server-chosen lease ids, laid out like etcd's request ids: the member id's low 16 bits on top, then the start
 * time in milliseconds (40 bits) and a counter (8 bits) that runs into the time part; positive and never 0.
 */
final class LeaseIds {
  private static final long LOW_48 = (1L << 48) - 1;

  private final long prefix;
  private final AtomicLong suffix;

  LeaseIds(long memberId, long startMillis) {
    this.prefix = (memberId & 0xffff) << 48;
    this.suffix = new AtomicLong((startMillis & ((1L << 40) - 1)) << 8);
  }

  long next() {
    while (true) {
      long id = (prefix | (suffix.incrementAndGet() & LOW_48)) & Long.MAX_VALUE;
      if (id != 0) {
        return id;
      }
    }
  }
}
