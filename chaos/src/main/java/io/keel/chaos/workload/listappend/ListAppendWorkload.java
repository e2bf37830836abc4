package io.keel.chaos.workload.listappend;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.keel.chaos.checker.txn.MicroOp;
import io.keel.chaos.checker.txn.TxnHistory;
import io.keel.chaos.checker.txn.TxnOp;
import io.keel.chaos.history.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Concurrent list-append clients: each thread runs random txns (1–4 micro-ops over a few keys, every appended
 * value unique) through {@link ListAppendClient}, never retrying, and records invoke / ok / fail / info events.
 * A conflict or a failed read phase is a fail; any other error is info, and that
 * process retires (a fresh process id takes over its thread). Bounded by count and by time.
 */
public final class ListAppendWorkload {
  private static final Logger log = LoggerFactory.getLogger(ListAppendWorkload.class);

  /**
   * Run parameters.
   *
   * @param threads concurrent clients
   * @param txnsPerThread txns each client runs at most
   * @param keys distinct keys, named {@code prefix + i}
   * @param keyPrefix key name prefix
   * @param seed random seed
   * @param requestTimeoutMs deadline of each gRPC call
   * @param timeLimitMs the whole run's bound
   */
  public record Options(int threads, int txnsPerThread, int keys, String keyPrefix, long seed, long requestTimeoutMs,
      long timeLimitMs) {
    public Options {
      if (threads <= 0 || threads > 1024 || txnsPerThread <= 0 || keys <= 0 || requestTimeoutMs <= 0
          || timeLimitMs <= 0) {
        throw new IllegalArgumentException("bad list-append options: " + this);
      }
    }
  }

  private ListAppendWorkload() {
  }

  /** Runs the clients against {@code channels} (thread i uses channel i mod n) and returns the history. */
  public static TxnHistory run(List<ManagedChannel> channels, Options o) throws InterruptedException {
    List<TxnOp> events = new ArrayList<>();
    Object lock = new Object();
    AtomicLong nextValue = new AtomicLong();
    long start = System.nanoTime();
    long end = start + o.timeLimitMs() * 1_000_000L;
    Thread[] ts = new Thread[o.threads()];
    for (int t = 0; t < ts.length; t++) {
      int thread = t;
      ManagedChannel ch = channels.get(t % channels.size());
      Random rnd = new Random(o.seed() * 1_000_003L + t);
      ts[t] = new Thread(() -> {
        int process = thread;
        for (int i = 0; i < o.txnsPerThread() && System.nanoTime() - end < 0; i++) {
          List<MicroOp> txn = new ArrayList<>();
          int n = 1 + rnd.nextInt(4);
          for (int j = 0; j < n; j++) {
            String k = o.keyPrefix() + rnd.nextInt(o.keys());
            txn.add(rnd.nextBoolean() ? MicroOp.read(k) : MicroOp.append(k, nextValue.getAndIncrement()));
          }
          TxnOp inv = TxnOp.invoke(process, txn);
          synchronized (lock) {
            events.add(inv.at(System.nanoTime() - start));
          }
          TxnOp done;
          try {
            done = inv.complete(Op.Type.OK, ListAppendClient.execute(ch, txn, o.requestTimeoutMs()), null);
          } catch (ListAppendClient.NotApplied e) {
            done = inv.complete(Op.Type.FAIL, null, e.getMessage());
          } catch (StatusRuntimeException e) {
            done = inv.complete(Op.Type.INFO, null, e.getStatus().getCode().name());
          } catch (RuntimeException e) {
            log.warn("list-append client {}: {}", process, e.toString());
            done = inv.complete(Op.Type.INFO, null, e.toString());
          }
          synchronized (lock) {
            events.add(done.at(System.nanoTime() - start));
          }
          if (done.type() == Op.Type.INFO) {
            process += o.threads();
          }
        }
      }, "list-append-" + t);
    }
    for (Thread t : ts) {
      t.start();
    }
    for (Thread t : ts) {
      t.join(o.timeLimitMs() + 2 * o.requestTimeoutMs() + 5_000);
      if (t.isAlive()) {
        t.interrupt();
        throw new IllegalStateException(t.getName() + " did not finish in time");
      }
    }
    synchronized (lock) {
      return new TxnHistory(events);
    }
  }
}
