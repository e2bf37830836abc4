package io.keel.bench.load;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.proto.etcdserverpb.WatchCreateRequest;
import io.keel.proto.etcdserverpb.WatchGrpc;
import io.keel.proto.etcdserverpb.WatchRequest;
import io.keel.proto.etcdserverpb.WatchResponse;
import io.keel.proto.mvccpb.Event;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Watch streams and watchers for the watch benchmarks. Creates {@code streams} bidirectional Watch streams,
 * each with {@code watchersPerStream} watchers on keys taken round-robin from a key list, and measures
 * (a) watch creation latency (create request sent to "created" response) and (b) event delivery latency:
 * puts made through {@link #putOperation} carry their sequence number in the value's first 8 bytes, so a
 * watcher can look up when that put was sent and when its response came back. Delivery is measured twice:
 * from the put being <em>sent</em> (includes the write path: consensus, fsync) and from the put's response
 * being <em>received</em>, i.e. from the write being committed and visible to the writer (isolates the watch
 * fan-out). An event can arrive before its put's response; such events are counted
 * ({@link #eventsBeforeCommit}) and recorded as 0 in the from-commit histogram. All waits are bounded.
 */
public final class WatchHarness implements AutoCloseable {

  /** Upper bound on watchers and on puts tracked (send times are kept in an array). */
  public static final int MAX_WATCHERS = 1_000_000;
  public static final int MAX_TRACKED_PUTS = 10_000_000;
  /** Create requests sent but not yet answered, at most (servers bound their request queues). */
  public static final int MAX_PENDING_CREATES = 1000;
  /** etcd's default --max-txn-ops. */
  public static final int MAX_PUTS_PER_TXN = 128;

  private final List<ByteString> keys;
  private final int[] watchersPerKey;
  private final List<StreamObserver<WatchRequest>> requestStreams = new ArrayList<>();
  private final ConcurrentHistogram creation = new ConcurrentHistogram(1, LoadRunner.MAX_TRACKABLE_NANOS, 3);
  private final ConcurrentHistogram delivery = new ConcurrentHistogram(1, LoadRunner.MAX_TRACKABLE_NANOS, 3);
  private final ConcurrentHistogram deliveryFromCommit =
      new ConcurrentHistogram(1, LoadRunner.MAX_TRACKABLE_NANOS, 3);
  private final AtomicLong eventsBeforeCommit = new AtomicLong();
  private final AtomicLong created = new AtomicLong();
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong streamErrors = new AtomicLong();
  private final AtomicLongArray putSendNanos;
  /** When each put's successful response was received (0: not yet, or it failed). */
  private final AtomicLongArray putDoneNanos;
  private final int totalWatchers;
  private volatile int putsPerTxn = 1;

  /**
   * Opens the streams and creates all watchers, waiting at most {@code timeoutMs} for them.
   *
   * @param maxPuts how many puts will be tracked (size of the send-time table)
   */
  public WatchHarness(EtcdConnections conns, int streams, int watchersPerStream, List<ByteString> keys, int maxPuts,
      long timeoutMs) throws InterruptedException {
    if (streams < 1 || watchersPerStream < 1 || (long) streams * watchersPerStream > MAX_WATCHERS) {
      throw new IllegalArgumentException("streams and watchers per stream must be >= 1 and streams * watchers <= "
          + MAX_WATCHERS);
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("no keys to watch");
    }
    if (maxPuts < 1 || maxPuts > MAX_TRACKED_PUTS) {
      throw new IllegalArgumentException("put total must be in 1.." + MAX_TRACKED_PUTS + ": " + maxPuts);
    }
    this.keys = List.copyOf(keys);
    this.watchersPerKey = new int[keys.size()];
    this.putSendNanos = new AtomicLongArray(maxPuts);
    this.putDoneNanos = new AtomicLongArray(maxPuts);
    this.totalWatchers = streams * watchersPerStream;
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    int w = 0;
    for (int s = 0; s < streams; s++) {
      ConcurrentLinkedQueue<Long> pendingCreates = new ConcurrentLinkedQueue<>();
      StreamObserver<WatchRequest> req = WatchGrpc.newStub(conns.forClient(s)).watch(new Responses(pendingCreates));
      requestStreams.add(req);
      for (int i = 0; i < watchersPerStream; i++, w++) {
        int k = w % keys.size();
        watchersPerKey[k]++;
        pendingCreates.add(System.nanoTime());
        synchronized (req) {
          req.onNext(WatchRequest.newBuilder()
              .setCreateRequest(WatchCreateRequest.newBuilder().setKey(keys.get(k))).build());
        }
        while (w + 1 - created.get() > MAX_PENDING_CREATES && System.nanoTime() < deadline
            && streamErrors.get() == 0) {
          Thread.sleep(1);
        }
      }
    }
    while (created.get() < totalWatchers && System.nanoTime() < deadline && streamErrors.get() == 0) {
      Thread.sleep(5);
    }
    if (created.get() < totalWatchers) {
      throw new IllegalStateException("only " + created.get() + " of " + totalWatchers + " watchers created within "
          + timeoutMs + " ms (stream errors: " + streamErrors.get() + ")");
    }
  }

  private final class Responses implements StreamObserver<WatchResponse> {
    private final ConcurrentLinkedQueue<Long> pendingCreates;

    Responses(ConcurrentLinkedQueue<Long> pendingCreates) {
      this.pendingCreates = pendingCreates;
    }

    @Override
    public void onNext(WatchResponse r) {
      long now = System.nanoTime();
      if (r.getCreated()) {
        Long sent = pendingCreates.poll();
        if (sent != null) {
          creation.recordValue(Math.max(1, Math.min(LoadRunner.MAX_TRACKABLE_NANOS, now - sent)));
        }
        created.incrementAndGet();
      }
      for (Event e : r.getEventsList()) {
        events.incrementAndGet();
        ByteString v = e.getKv().getValue();
        if (v.size() >= Long.BYTES) {
          long seq = v.substring(0, Long.BYTES).asReadOnlyByteBuffer().getLong();
          if (seq >= 0 && seq < putSendNanos.length()) {
            long sent = putSendNanos.get((int) seq);
            if (sent != 0) {
              delivery.recordValue(Math.max(1, Math.min(LoadRunner.MAX_TRACKABLE_NANOS, now - sent)));
              long committed = putDoneNanos.get((int) seq);
              if (committed == 0 || committed > now) {
                eventsBeforeCommit.incrementAndGet(); // the watcher saw it before the writer did
                deliveryFromCommit.recordValue(0);
              } else {
                deliveryFromCommit.recordValue(Math.min(LoadRunner.MAX_TRACKABLE_NANOS, now - committed));
              }
            }
          }
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      streamErrors.incrementAndGet();
    }

    @Override
    public void onCompleted() {
      // Server closed the stream; nothing more will arrive.
    }
  }

  /**
   * Puts to the watched keys round-robin; the value ({@code valSize} >= 8 bytes) starts with the sequence
   * number, and the send time is remembered for the delivery latency.
   */
  public AsyncOperation putOperation(EtcdConnections conns, int valSize, long requestTimeoutMs) {
    return putOperation(conns, valSize, requestTimeoutMs, 1);
  }

  /**
   * Like {@link #putOperation(EtcdConnections, int, long)}, but each request is a txn of {@code putsPerTxn} puts
   * (one revision, {@code putsPerTxn} events): request {@code seq} writes keys {@code seq * k .. seq * k + k - 1}
   * (mod the key count), all values carrying {@code seq}. With one put it is a plain Put.
   */
  public AsyncOperation putOperation(EtcdConnections conns, int valSize, long requestTimeoutMs, int putsPerTxn) {
    if (putsPerTxn < 1 || putsPerTxn > MAX_PUTS_PER_TXN || putsPerTxn > keys.size()) {
      throw new IllegalArgumentException("puts per txn must be in 1.." + MAX_PUTS_PER_TXN
          + " and at most the number of watched keys: " + putsPerTxn);
    }
    this.putsPerTxn = putsPerTxn;
    if (valSize < Long.BYTES || valSize > KeyGenerator.MAX_SIZE_BYTES) {
      throw new IllegalArgumentException("--val-size must be in 8.." + KeyGenerator.MAX_SIZE_BYTES
          + " for watch benchmarks (the value carries the put's sequence number): " + valSize);
    }
    List<KVGrpc.KVStub> stubs = KvOperations.stubs(conns);
    return (client, seq, done) -> {
      if (seq >= putSendNanos.length()) {
        done.done(new IllegalStateException("put " + seq + " beyond tracked total"));
        return;
      }
      byte[] value = new byte[valSize];
      ByteBuffer.wrap(value).putLong(seq);
      putSendNanos.set((int) seq, System.nanoTime());
      UnaryCall<Object> call = new UnaryCall<>(err -> {
        if (err == null) {
          putDoneNanos.set((int) seq, System.nanoTime());
        }
        done.done(err);
      });
      ByteString v = ByteString.copyFrom(value);
      KVGrpc.KVStub stub = KvOperations.stub(stubs, client, requestTimeoutMs);
      if (putsPerTxn == 1) {
        stub.put(PutRequest.newBuilder().setKey(keys.get((int) (seq % keys.size()))).setValue(v).build(),
            new ForwardTo<>(call));
      } else {
        TxnRequest.Builder txn = TxnRequest.newBuilder();
        for (int j = 0; j < putsPerTxn; j++) {
          ByteString key = keys.get((int) ((seq * putsPerTxn + j) % keys.size()));
          txn.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(key).setValue(v)));
        }
        stub.txn(txn.build(), new ForwardTo<>(call));
      }
    };
  }

  /** Events every watcher together should receive for requests number 0..requests-1 (each of putsPerTxn puts). */
  public long expectedEvents(long requests) {
    long puts = requests * putsPerTxn;
    long sum = 0;
    for (int k = 0; k < keys.size(); k++) {
      long putsOnKey = puts / keys.size() + (k < puts % keys.size() ? 1 : 0);
      sum += putsOnKey * watchersPerKey[k];
    }
    return sum;
  }

  /** Waits (at most {@code timeoutMs}) until {@code expected} events arrived; returns the count seen. */
  public long awaitEvents(long expected, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (events.get() < expected && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    return events.get();
  }

  public Histogram creationLatencyNanos() {
    return creation.copy();
  }

  public Histogram deliveryLatencyNanos() {
    return delivery.copy();
  }

  /** Delivery from the put's response being received (0 for events that arrived before it). */
  public Histogram deliveryFromCommitNanos() {
    return deliveryFromCommit.copy();
  }

  /** Events that arrived before their put's response (or whose put failed). */
  public long eventsBeforeCommit() {
    return eventsBeforeCommit.get();
  }

  /** Passes a unary call's outcome on, whatever the response type. */
  private static final class ForwardTo<T> implements StreamObserver<T> {
    private final UnaryCall<Object> call;

    ForwardTo(UnaryCall<Object> call) {
      this.call = call;
    }

    @Override
    public void onNext(T value) {
      call.onNext(value);
    }

    @Override
    public void onError(Throwable t) {
      call.onError(t);
    }

    @Override
    public void onCompleted() {
      call.onCompleted();
    }
  }

  public long streamErrors() {
    return streamErrors.get();
  }

  public int watchers() {
    return totalWatchers;
  }

  @Override
  public void close() {
    for (StreamObserver<WatchRequest> s : requestStreams) {
      synchronized (s) {
        try {
          s.onCompleted();
        } catch (RuntimeException e) {
          // Stream already failed; closing is best effort.
        }
      }
    }
  }
}
