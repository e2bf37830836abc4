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
import java.util.function.IntFunction;
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
   * @param keys keys in use at once, named {@code prefix + slot + "." + generation}
   * @param keyPrefix key name prefix
   * @param maxAppendsPerKey appends after which a slot moves to a fresh key, so lists (and reads) stay short
   * @param seed random seed
   * @param requestTimeoutMs deadline of each gRPC call
   * @param timeLimitMs the whole run's bound
   * @param unsafeSkipCompare commit blindly (loses appends): only for the checker's negative control
   */
  public record Options(int threads, int txnsPerThread, int keys, String keyPrefix, int maxAppendsPerKey, long seed,
      long requestTimeoutMs, long timeLimitMs, boolean unsafeSkipCompare) {
    public Options {
      if (threads <= 0 || threads > 1024 || txnsPerThread <= 0 || keys <= 0 || keys > 10_000 || maxAppendsPerKey <= 0
          || requestTimeoutMs <= 0
          || timeLimitMs <= 0) {
        throw new IllegalArgumentException("bad list-append options: " + this);
      }
    }
  }

  private ListAppendWorkload() {
  }

  /** Runs the clients against {@code channels} (thread i uses channel i mod n) and returns the history. */
  public static TxnHistory run(List<ManagedChannel> channels, Options o) throws InterruptedException {
    if (channels.isEmpty()) {
      throw new IllegalArgumentException("no channels");
    }
    return run(t -> channels.get(t % channels.size()), o, 0);
  }

  /**
   * Runs the clients; thread t asks {@code channelFor.apply(t)} for its channel before every txn (a restarted
   * member gets a new channel). After an unknown outcome or a failed read phase (the member did not answer) a
   * client waits {@code backoffMs} before its next txn, so a member that is down is not hammered with requests
   * that cannot succeed.
   */
  public static TxnHistory run(IntFunction<ManagedChannel> channelFor, Options o, long backoffMs)
      throws InterruptedException {
    if (backoffMs < 0 || backoffMs > 10_000) {
      throw new IllegalArgumentException("backoffMs must be in [0, 10000], got " + backoffMs);
    }
    List<TxnOp> events = new ArrayList<>();
    Object lock = new Object();
    AtomicLong nextValue = new AtomicLong();
    Slots slots = new Slots(o.keys(), o.keyPrefix(), o.maxAppendsPerKey());
    long start = System.nanoTime();
    long end = start + o.timeLimitMs() * 1_000_000L;
    Thread[] ts = new Thread[o.threads()];
    for (int t = 0; t < ts.length; t++) {
      int thread = t;
      Random rnd = new Random(o.seed() * 1_000_003L + t);
      ts[t] = new Thread(() -> {
        int process = thread;
        for (int i = 0; i < o.txnsPerThread() && System.nanoTime() - end < 0; i++) {
          List<MicroOp> txn = new ArrayList<>();
          int n = 1 + rnd.nextInt(4);
          for (int j = 0; j < n; j++) {
            boolean append = rnd.nextBoolean();
            String k = slots.key(rnd.nextInt(o.keys()), append);
            txn.add(append ? MicroOp.append(k, nextValue.getAndIncrement()) : MicroOp.read(k));
          }
          TxnOp inv = TxnOp.invoke(process, txn);
          synchronized (lock) {
            events.add(inv.at(System.nanoTime() - start));
          }
          TxnOp done;
          boolean readPhaseFailed = false;
          ManagedChannel ch = channelFor.apply(thread);
          try {
            done = inv.complete(Op.Type.OK, ListAppendClient.execute(ch, txn, o.requestTimeoutMs(),
                o.unsafeSkipCompare()), null);
          } catch (ListAppendClient.NotApplied e) {
            done = inv.complete(Op.Type.FAIL, null, e.getMessage());
            readPhaseFailed = e.getCause() instanceof StatusRuntimeException;
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
          if (done.type() == Op.Type.INFO || readPhaseFailed) {
            if (backoffMs > 0) {
              try {
                Thread.sleep(backoffMs);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
              }
            }
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

  /** Key slots shared by all clients: each slot's key is replaced by a fresh one after enough appends. */
  private static final class Slots {
    private final int[] generation;
    private final int[] appends;
    private final String prefix;
    private final int maxAppends;

    Slots(int n, String prefix, int maxAppends) {
      this.generation = new int[n];
      this.appends = new int[n];
      this.prefix = prefix;
      this.maxAppends = maxAppends;
    }

    synchronized String key(int slot, boolean forAppend) {
      if (forAppend && ++appends[slot] > maxAppends) {
        appends[slot] = 1;
        generation[slot]++;
      }
      return prefix + slot + "." + generation[slot];
    }
  }
}
