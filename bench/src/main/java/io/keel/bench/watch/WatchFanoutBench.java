package io.keel.bench.watch;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.keel.kvstore.MvccStore;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.ResponseHeader;
import io.keel.proto.etcdserverpb.WatchCreateRequest;
import io.keel.proto.etcdserverpb.WatchResponse;
import io.keel.watch.ResponseSink;
import io.keel.watch.Session;
import io.keel.watch.WatchConfig;
import io.keel.watch.WatchHub;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Watch fan-out through the real {@link WatchHub} on a real {@link MvccStore} (RocksDB in a temp dir, no
 * fsync): {@code watchers} watchers on distinct-or-shared keys, multiplexed {@link #WATCHERS_PER_STREAM} per
 * stream as etcd clients do, each put matching {@code matchFraction} of them. One benchmark op is one put
 * plus waiting until the hub has delivered all but {@link #MAX_LAG_EVENTS} of the events owed so far, so the
 * figure is the sustained rate of the whole pipeline (store listener, index lookup, per-stream batching,
 * sender), not the enqueue rate. The {@code events} counter is events delivered per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class WatchFanoutBench {

  /** Watchers multiplexed on one stream (session). */
  public static final int WATCHERS_PER_STREAM = 1000;
  /** How far delivery may trail the puts before a put waits. */
  public static final long MAX_LAG_EVENTS = 200_000;
  /** Upper bound of any wait in setup or in an op. */
  public static final long MAX_WAIT_MS = 60_000;

  @Param({"1000", "10000", "100000"})
  public int watchers;

  /** Fraction of all watchers one put matches: 1/keys, with watchers spread evenly over the keys. */
  @Param({"0.001", "0.1", "1.0"})
  public double matchFraction;

  private Path dir;
  private MvccStore store;
  private WatchHub hub;
  private final List<CountingSink> sinks = new ArrayList<>();
  private ByteString[] keys;
  private long matchingPerPut;
  private long puts;
  private long expectedEvents;
  private ByteString value;

  /** Number of distinct keys for a watcher count and match fraction (at least 1, at most watchers). */
  public static int keyCount(int watchers, double matchFraction) {
    if (watchers < 1 || !(matchFraction > 0) || matchFraction > 1) {
      throw new IllegalArgumentException("watchers >= 1 and 0 < matchFraction <= 1: " + watchers + ", "
          + matchFraction);
    }
    return (int) Math.max(1, Math.min(watchers, Math.round(1 / matchFraction)));
  }

  /** Watchers on key {@code k} when {@code watchers} are spread round-robin over {@code keyCount} keys. */
  public static long watchersOnKey(int watchers, int keyCount, int k) {
    return watchers / keyCount + (k < watchers % keyCount ? 1 : 0);
  }

  @Setup(Level.Trial)
  public void setup() throws IOException, InterruptedException {
    dir = Files.createTempDirectory("watchbench");
    store = MvccStore.open(MvccStore.Options.of(dir).syncWrites(false));
    hub = new WatchHub(store, WatchConfig.defaults(1536 * 1024),
        rev -> ResponseHeader.newBuilder().setRevision(rev).build(), new SimpleMeterRegistry());
    int keyCount = keyCount(watchers, matchFraction);
    keys = new ByteString[keyCount];
    for (int k = 0; k < keyCount; k++) {
      keys[k] = ByteString.copyFrom(String.format(Locale.ROOT, "/registry/pods/ns-%03d/pod-%06d", k % 1000, k),
          StandardCharsets.US_ASCII);
    }
    value = ByteString.copyFrom(new byte[128]);
    int streams = (watchers + WATCHERS_PER_STREAM - 1) / WATCHERS_PER_STREAM;
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MAX_WAIT_MS);
    int w = 0;
    for (int s = 0; s < streams; s++) {
      CountingSink sink = new CountingSink();
      sinks.add(sink);
      Session session = hub.open(sink);
      int n = Math.min(WATCHERS_PER_STREAM, watchers - w);
      for (int i = 0; i < n; i++, w++) {
        hub.create(session, WatchCreateRequest.newBuilder().setKey(keys[w % keyCount]).build());
        // stay well inside the hub's command queue bound
        while (w + 1 - created() > 1024) {
          awaitTick(deadline, "watch creation");
        }
      }
    }
    while (created() < watchers) {
      awaitTick(deadline, "watch creation");
    }
    matchingPerPut = watchersOnKey(watchers, keyCount, 0); // every key gets the same count up to one
  }

  private long created() {
    long c = 0;
    for (CountingSink s : sinks) {
      c += s.created.get();
    }
    return c;
  }

  private long delivered() {
    long c = 0;
    for (CountingSink s : sinks) {
      c += s.events.get();
    }
    return c;
  }

  private static void awaitTick(long deadlineNanos, String what) throws InterruptedException {
    if (System.nanoTime() > deadlineNanos) {
      throw new IllegalStateException(what + " did not finish within " + MAX_WAIT_MS + " ms");
    }
    Thread.sleep(1);
  }

  /** JMH counters: events delivered to watchers, reported per second. */
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  @State(Scope.Thread)
  public static class Delivered {
    public long events;
  }

  @Benchmark
  public long putAndFanOut(Delivered counters) throws InterruptedException {
    int k = (int) (puts % keys.length);
    puts++;
    store.put(PutRequest.newBuilder().setKey(keys[k]).setValue(value).build(), puts);
    long owed = watchersOnKey(watchers, keys.length, k);
    expectedEvents += owed;
    counters.events += owed;
    long deadline = 0;
    while (expectedEvents - delivered() > MAX_LAG_EVENTS) {
      if (deadline == 0) {
        deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MAX_WAIT_MS);
      }
      awaitTick(deadline, "event delivery");
    }
    return expectedEvents;
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MAX_WAIT_MS);
    while (delivered() < expectedEvents) {
      awaitTick(deadline, "final event delivery");
    }
    if (delivered() != expectedEvents) {
      throw new IllegalStateException("delivered " + delivered() + " events, expected " + expectedEvents);
    }
    System.out.printf(Locale.ROOT, "%nwatchers %d, keys %d, matching per put %d, puts %d, events %d%n", watchers,
        keys.length, matchingPerPut, puts, expectedEvents);
    hub.close();
    store.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** A stream that is always ready and counts created responses and events. */
  static final class CountingSink implements ResponseSink {
    final AtomicLong created = new AtomicLong();
    final AtomicLong events = new AtomicLong();

    @Override
    public boolean isReady() {
      return true;
    }

    @Override
    public void onReady(Runnable callback) {
      // always ready: nothing to wait for
    }

    @Override
    public void send(WatchResponse response) {
      if (response.getCreated()) {
        created.incrementAndGet();
      }
      events.addAndGet(response.getEventsCount());
    }

    @Override
    public void close(Status status) {
      // the benchmark never ends streams early
    }
  }
}
