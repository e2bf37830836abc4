package io.keel.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.PutResponse;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Durability: a Keel member is killed with SIGKILL while many puts are in flight, three times over on the same
 * data dir. Every put it acknowledged must be there after each restart, with its value, and revisions never go
 * backwards. Unacknowledged puts may or may not be there (that is the client's uncertainty, not a loss).
 */
class KillNineDurabilityIT {
  static final int IN_FLIGHT = 64;
  static final int ACKS_BEFORE_KILL = 1500;

  @Test
  void everyAcknowledgedPutSurvivesKillNine() throws Exception {
    Map<String, String> acked = new ConcurrentHashMap<>();
    AtomicLong maxAckedRevision = new AtomicLong();
    try (KeelProcess keel = KeelProcess.started(ServerFlags.named("durable"))) {
      for (int round = 0; round < 3; round++) {
        ManagedChannel channel = keel.newChannel();
        KVGrpc.KVStub kv = KVGrpc.newStub(channel);
        Semaphore window = new Semaphore(IN_FLIGHT);
        AtomicInteger ackedThisRound = new AtomicInteger();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int i = 0;
        while (ackedThisRound.get() < ACKS_BEFORE_KILL && System.nanoTime() < deadline) {
          window.acquire();
          String key = "r" + round + "/k" + i;
          String value = "v" + i++;
          kv.withDeadlineAfter(20, TimeUnit.SECONDS).put(PutRequest.newBuilder()
              .setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8(value)).build(),
              new StreamObserver<>() {
                @Override
                public void onNext(PutResponse r) {
                  acked.put(key, value);
                  maxAckedRevision.accumulateAndGet(r.getHeader().getRevision(), Math::max);
                  ackedThisRound.incrementAndGet();
                }

                @Override
                public void onError(Throwable t) {
                  window.release();
                }

                @Override
                public void onCompleted() {
                  window.release();
                }
              });
        }
        assertThat(ackedThisRound.get()).as("acks before the deadline in round %d", round)
            .isGreaterThanOrEqualTo(ACKS_BEFORE_KILL);
        assertThat(keel.kill9()).isEqualTo(137); // with up to IN_FLIGHT puts still in flight
        channel.shutdownNow();

        keel.restart();
        ManagedChannel after = keel.newChannel();
        try {
          RangeResponse all = KVGrpc.newBlockingStub(after).withDeadlineAfter(30, TimeUnit.SECONDS)
              .range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("\0"))
                  .setRangeEnd(ByteString.copyFromUtf8("\0")).build());
          Map<String, String> found = new ConcurrentHashMap<>();
          all.getKvsList().forEach(kvp -> found.put(kvp.getKey().toStringUtf8(), kvp.getValue().toStringUtf8()));
          assertThat(found).as("after kill -9 #%d", round + 1).containsAllEntriesOf(acked);
          assertThat(all.getHeader().getRevision()).as("revision after restart")
              .isGreaterThanOrEqualTo(maxAckedRevision.get());
        } finally {
          after.shutdownNow();
        }
      }
    }
  }
}
