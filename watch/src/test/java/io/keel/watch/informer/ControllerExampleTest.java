package io.keel.watch.informer;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.keel.watch.workqueue.ExponentialFailureRateLimiter;
import io.keel.watch.workqueue.MaxOfRateLimiter;
import io.keel.watch.workqueue.RateLimitingQueue;
import io.keel.watch.workqueue.Ticker;
import io.keel.watch.workqueue.TokenBucketRateLimiter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A controller in the client-go style against a real etcd: an informer on {@code /desired/} feeds keys
 * into a rate-limited work queue; workers reconcile each key level-triggered (read the desired state
 * from the informer's cache, write {@code /status/<name>} to match, or delete it), retrying failures
 * with backoff. In the end status mirrors desired, and no key was ever reconciled by two workers at once.
 */
class ControllerExampleTest {
  private static final String DESIRED = "/desired/";
  private static final String STATUS = "/status/";

  @Test
  void statusConvergesToDesiredThroughInformerQueueAndWorkers() throws Exception {
    try (EtcdFixture etcd = EtcdFixture.started()) {
      ManagedChannel ch = etcd.channel();
      EtcdClient client = new EtcdClient(ch);
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      RateLimitingQueue<String> queue = new RateLimitingQueue<>("ctl", 1_000, Ticker.system(), registry,
          new MaxOfRateLimiter<>(List.of(
              new ExponentialFailureRateLimiter<>(TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(200), 1_000),
              new TokenBucketRateLimiter<>(1_000, 100, Ticker.system()))));
      EventHandler<String> enqueue = new EventHandler<>() {
        @Override
        public void onAdd(String key, String object) {
          queue.add(key.substring(DESIRED.length()));
        }

        @Override
        public void onUpdate(String key, String oldObject, String newObject) {
          queue.add(key.substring(DESIRED.length()));
        }

        @Override
        public void onDelete(String key, String lastObject) {
          queue.add(key.substring(DESIRED.length()));
        }
      };
      for (int i = 0; i < 5; i++) {
        client.put(DESIRED + "pre" + i, "p" + i);
      }
      Informer<String> informer = new Informer<>(InformerConfig.builder(ch, DESIRED, (k, v) -> v.toStringUtf8())
          .name("ctl").registry(registry).resyncPeriodMs(2_000).build()).addHandler(enqueue).start();
      Set<String> inFlight = ConcurrentHashMap.newKeySet();
      Set<String> failedOnce = ConcurrentHashMap.newKeySet();
      AtomicReference<String> violation = new AtomicReference<>();
      AtomicInteger reconciles = new AtomicInteger();
      List<Thread> workers = new ArrayList<>();
      try {
        assertThat(informer.awaitSynced(30_000)).isTrue();
        for (int w = 0; w < 2; w++) {
          Thread t = new Thread(() -> {
            try {
              while (true) {
                String name = queue.get(200);
                if (name == null) {
                  if (queue.isShutDown()) {
                    return;
                  }
                  continue;
                }
                if (!inFlight.add(name)) {
                  violation.compareAndSet(null, name + " reconciled by two workers");
                }
                try {
                  reconciles.incrementAndGet();
                  // Every key fails its first reconcile: the retry path is exercised for all of them.
                  if (failedOnce.add(name)) {
                    throw new IllegalStateException("transient failure for " + name);
                  }
                  String desired = informer.cache().get(DESIRED + name);
                  if (desired == null) {
                    client.delete(STATUS + name);
                  } else {
                    client.put(STATUS + name, desired);
                  }
                  queue.forget(name);
                } catch (RuntimeException e) {
                  queue.addRateLimited(name);
                } finally {
                  inFlight.remove(name);
                  queue.done(name);
                }
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }, "worker-" + w);
          workers.add(t);
          t.start();
        }
        for (int round = 0; round < 4; round++) {
          for (int i = 0; i < 20; i++) {
            client.put(DESIRED + "obj" + i, "r" + round);
          }
        }
        for (int i = 0; i < 5; i++) {
          client.delete(DESIRED + "obj" + i);
        }
        client.delete(DESIRED + "pre0");

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!names(client.list(STATUS), STATUS).equals(names(client.list(DESIRED), DESIRED))
            && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        Map<String, String> desired = names(client.list(DESIRED), DESIRED);
        assertThat(names(client.list(STATUS), STATUS)).isEqualTo(desired);
        assertThat(desired).hasSize(19).containsEntry("obj7", "r3").doesNotContainKey("obj0");
        assertThat(violation.get()).isNull();
        assertThat(registry.get("keel.workqueue.retries").tag("name", "ctl").counter().count())
            .isGreaterThanOrEqualTo(failedOnce.size());
        // every one of the 25 keys (20 obj + 5 pre) went through the failure + rate-limited retry path
        assertThat(failedOnce).hasSize(25);
      } finally {
        queue.shutDown();
        for (Thread t : workers) {
          t.join(10_000);
        }
        informer.close();
        ch.shutdownNow();
      }
    }
  }

  private static Map<String, String> names(Map<String, String> kvs, String prefix) {
    Map<String, String> out = new TreeMap<>();
    kvs.forEach((k, v) -> out.put(k.substring(prefix.length()), v));
    return out;
  }
}
