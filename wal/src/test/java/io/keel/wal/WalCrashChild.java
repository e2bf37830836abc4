package io.keel.wal;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Child process for {@link WalCrashTest}: appends one-entry records from several threads (group commit) and
 * prints each index to stdout only after its future completed, i.e. after it was fsynced. It runs until killed
 * (or until a bound on records/time, so a stray child cannot run forever).
 */
public final class WalCrashChild {
  static final int PAYLOAD_BYTES = 256;
  static final long SEGMENT_BYTES = 64 << 10;
  private static final Object LOCK = new Object();
  private static long next;

  private WalCrashChild() {}

  static WalOptions options(Path dir) {
    return WalOptions.of(dir).segmentBytes(SEGMENT_BYTES).maxRecordBytes(4 << 10).maxBatchBytes(32 << 10)
        .queueCapacity(64).maxMetadataBytes(256).metadata("crash-test".getBytes());
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int threads = Integer.parseInt(args[1]);
    long maxRecords = Long.parseLong(args[2]);
    long deadline = System.nanoTime() + 60_000_000_000L;
    Wal wal = Wal.open(options(dir));
    next = wal.recovered().lastIndex() + 1;
    long stop = next + maxRecords;
    System.out.println("READY " + next);
    System.out.flush();
    Thread[] ts = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      ts[t] = new Thread(() -> {
        while (System.nanoTime() < deadline) {
          long index;
          CompletableFuture<Void> f;
          synchronized (LOCK) { // index order == queue order; append never blocks
            if (next >= stop) {
              return;
            }
            index = next;
            try {
              f = wal.append(List.of(new WalEntry(index, 1, WalTestSupport.payload(index, 1, PAYLOAD_BYTES))),
                  new HardState(1, 1, index - 1));
            } catch (WalQueueFullException e) {
              f = null;
            }
            if (f != null) {
              next++;
            }
          }
          if (f == null) {
            Thread.onSpinWait();
            continue;
          }
          f.join();
          synchronized (System.out) {
            System.out.println(index);
            System.out.flush();
          }
        }
      });
      ts[t].start();
    }
    for (Thread t : ts) {
      t.join();
    }
    wal.close();
    System.out.println("DONE");
  }
}
