package io.keel.chaos.workload;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keel.chaos.cluster.Node;
import io.keel.chaos.history.Op;
import io.keel.chaos.history.Recorder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-key registers under concurrent clients. Each client is bound to one member, picks read / write / cas at
 * random on one of a few active keys. Every write and cas writes a fresh value (so an unknown write can only
 * explain reads of its own value); a cas compares against the last value this client saw on the key. Clients never retry:
 * a write or cas whose answer is an error or a timeout is recorded as {@code info} (it may have happened) and
 * the client continues as a new process, as Jepsen does. A failed read is {@code fail} (reads change nothing).
 * Keys rotate every {@code opsPerKey * activeKeys} operations so each key's history stays small enough to
 * check exhaustively.
 */
public final class RegisterWorkload {
  private static final Logger LOG = LoggerFactory.getLogger(RegisterWorkload.class);
  private static final int ACTIVE_KEYS = 5;

  private final int concurrency;
  private final long opTimeoutMs;
  private final int opsPerKey;
  private final long maxOps;
  private final AtomicLong opCount = new AtomicLong();
  /** Every write and cas writes a value never written before, so an unknown write explains only reads of it. */
  private final AtomicLong nextValue = new AtomicLong();
  private final AtomicLong okCount = new AtomicLong();
  private final AtomicLong infoCount = new AtomicLong();

  public RegisterWorkload(int concurrency, long opTimeoutMs, int opsPerKey, long maxOps) {
    if (concurrency < 1 || concurrency > 256) {
      throw new IllegalArgumentException("concurrency must be in [1, 256], got " + concurrency);
    }
    if (opTimeoutMs < 10 || opsPerKey < 1 || maxOps < 1) {
      throw new IllegalArgumentException("opTimeoutMs >= 10, opsPerKey >= 1 and maxOps >= 1 are required");
    }
    this.concurrency = concurrency;
    this.opTimeoutMs = opTimeoutMs;
    this.opsPerKey = opsPerKey;
    this.maxOps = maxOps;
  }

  /**
   * Runs the clients until the deadline (or maxOps operations), recording into {@code recorder}.
   *
   * @param nodeFor the member client i talks to
   */
  public void run(IntFunction<Node> nodeFor, Recorder recorder, long seed, long deadlineNanos)
      throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      int client = i;
      Thread t = new Thread(() -> client(client, nodeFor.apply(client), recorder, new Random(seed * 1009 + client),
          deadlineNanos), "chaos-client-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      long waitMs = Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000) + 2 * opTimeoutMs + 5_000;
      t.join(waitMs);
      if (t.isAlive()) {
        throw new IllegalStateException(t.getName() + " did not stop within " + waitMs + " ms");
      }
    }
  }

  private void client(int client, Node node, Recorder rec, Random rnd, long deadlineNanos) {
    int process = client;
    java.util.Map<String, Long> lastSeen = new java.util.HashMap<>();
    while (System.nanoTime() < deadlineNanos) {
      if ((node.liveness() & 1) == 1) {
        // Its member is certainly down (killed, not yet restarted): wait rather than burn operations, which
        // would rotate the keys while a crash is healed and hide what the crash lost.
        sleepQuietly(50);
        continue;
      }
      long n = opCount.getAndIncrement();
      if (n >= maxOps) {
        return;
      }
      String key = "r" + (n / ((long) opsPerKey * ACTIVE_KEYS)) + "-" + rnd.nextInt(ACTIVE_KEYS);
      int kind = rnd.nextInt(3);
      Long known = lastSeen.get(key);
      if (kind == 2 && known == null) {
        kind = 0; // cas compares against a value this client saw; learn one first
      }
      Op inv = switch (kind) {
        case 0 -> Op.invoke(process, "read", key, null, null);
        case 1 -> Op.invoke(process, "write", key, nextValue.incrementAndGet(), null);
        default -> Op.invoke(process, "cas", key, nextValue.incrementAndGet(), known);
      };
      if (!rec.invoke(inv)) {
        LOG.warn("history is full; client {} stops", client);
        return;
      }
      long liveness = node.liveness();
      Op done;
      try {
        done = switch (kind) {
          case 0 -> inv.complete(Op.Type.OK, RegisterClient.read(node.channel(), key, opTimeoutMs), null, null);
          case 1 -> {
            RegisterClient.write(node.channel(), key, inv.value(), opTimeoutMs);
            yield inv.complete(Op.Type.OK, inv.value(), null, null);
          }
          default -> RegisterClient.cas(node.channel(), key, inv.expected(), inv.value(), opTimeoutMs)
              ? inv.complete(Op.Type.OK, inv.value(), null, null)
              : inv.complete(Op.Type.FAIL, null, null, "compare failed");
        };
      } catch (StatusRuntimeException e) {
        String why = e.getStatus().getCode() + (e.getStatus().getDescription() == null ? ""
            : ": " + e.getStatus().getDescription());
        boolean certain = kind == 0 || neverSent(e) || ((liveness & 1) == 1 && node.liveness() == liveness);
        done = inv.complete(certain ? Op.Type.FAIL : Op.Type.INFO, null, null,
            why + ((liveness & 1) == 1 && node.liveness() == liveness ? " (member down)" : ""));
      } catch (RuntimeException e) {
        done = kind == 0 ? inv.complete(Op.Type.FAIL, null, null, e.toString())
            : inv.complete(Op.Type.INFO, null, null, e.toString());
      }
      rec.complete(done);
      if (done.type() == Op.Type.OK && done.value() != null) {
        lastSeen.put(key, done.value());
      }
      if (lastSeen.size() > 4 * ACTIVE_KEYS) {
        lastSeen.clear(); // keys rotate; keep the map bounded
      }
      if (done.type() == Op.Type.OK) {
        okCount.incrementAndGet();
      } else if (done.type() == Op.Type.INFO) {
        infoCount.incrementAndGet();
        process += concurrency; // its operation may still take effect: never reuse the process
      }
      if (done.type() == Op.Type.INFO) {
        sleepQuietly(200); // back off: each unknown outcome widens the checker's search
      } else if (done.error() != null && done.error().startsWith(Status.Code.UNAVAILABLE.name())) {
        sleepQuietly(50); // do not spin against an unreachable member
      }
    }
  }

  /** The connection to the member could not be opened, so the request was never sent. */
  static boolean neverSent(StatusRuntimeException e) {
    if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
      return false;
    }
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException) {
        return true;
      }
    }
    return false;
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public long operations() {
    return Math.min(opCount.get(), maxOps);
  }

  public long okOperations() {
    return okCount.get();
  }

  public long unknownOperations() {
    return infoCount.get();
  }
}
