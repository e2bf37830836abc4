package io.keel.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.MaintenanceGrpc;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import io.keel.proto.etcdserverpb.StatusRequest;
import io.keel.proto.etcdserverpb.StatusResponse;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Real gRPC/Netty on loopback: which thread runs each service's handler, and that KV is never held up. */
class OffloadInterceptorTest {
  private final AtomicReference<String> kvThread = new AtomicReference<>();
  private final AtomicReference<String> statusThread = new AtomicReference<>();
  private final AtomicReference<Boolean> statusHadDeadline = new AtomicReference<>();
  private final CountDownLatch releaseStatus = new CountDownLatch(1);

  private final class Kv extends KVGrpc.KVImplBase {
    @Override
    public void range(RangeRequest req, StreamObserver<RangeResponse> out) {
      kvThread.set(Thread.currentThread().getName());
      out.onNext(RangeResponse.newBuilder().setCount(1).build());
      out.onCompleted();
    }
  }

  private final class Blocking extends MaintenanceGrpc.MaintenanceImplBase {
    @Override
    public void status(StatusRequest req, StreamObserver<StatusResponse> out) {
      statusThread.set(Thread.currentThread().getName());
      statusHadDeadline.set(Context.current().getDeadline() != null);
      try {
        releaseStatus.await(10, TimeUnit.SECONDS); // a handler that blocks, as defragment or hash may
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      out.onNext(StatusResponse.newBuilder().setVersion("ok").build());
      out.onCompleted();
    }
  }

  private Server serve(java.util.concurrent.Executor pool) throws Exception {
    return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .directExecutor()
        .addService(new Kv())
        .addService(new Blocking())
        .intercept(new OffloadInterceptor(Set.of(KVGrpc.SERVICE_NAME), pool, new SimpleMeterRegistry()))
        .build().start();
  }

  private static ManagedChannel channel(Server s) {
    return NettyChannelBuilder.forAddress("127.0.0.1", s.getPort()).usePlaintext().build();
  }

  @Test
  void kvRunsOnTheEventLoopAndIsNotHeldUpByABlockingCallOnTheSameConnection() throws Exception {
    ExecutorService pool = Executors.newCachedThreadPool(r -> new Thread(r, "offload-test"));
    Server server = serve(pool);
    ManagedChannel ch = channel(server);
    try {
      var status = MaintenanceGrpc.newFutureStub(ch).withDeadlineAfter(20, TimeUnit.SECONDS)
          .status(StatusRequest.getDefaultInstance());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (statusThread.get() == null && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(statusThread.get()).isEqualTo("offload-test");
      assertThat(statusHadDeadline.get()).as("the call's context (deadline) is attached on the pool").isTrue();
      // The blocked maintenance call holds a pool thread, not the connection's event loop:
      RangeResponse r = KVGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
          .range(RangeRequest.getDefaultInstance());
      assertThat(r.getCount()).isEqualTo(1);
      assertThat(kvThread.get()).contains("ELG"); // Netty's event loop group thread
      releaseStatus.countDown();
      assertThat(status.get(10, TimeUnit.SECONDS).getVersion()).isEqualTo("ok");
    } finally {
      releaseStatus.countDown();
      ch.shutdownNow();
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      pool.shutdownNow();
    }
  }

  @Test
  void aFullPoolRunsTheCallOnTheEventLoopInsteadOfDroppingIt() throws Exception {
    releaseStatus.countDown();
    Server server = serve(task -> {
      throw new RejectedExecutionException("full");
    });
    ManagedChannel ch = channel(server);
    try {
      StatusResponse r = MaintenanceGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
          .status(StatusRequest.getDefaultInstance());
      assertThat(r.getVersion()).isEqualTo("ok");
      assertThat(statusThread.get()).contains("ELG");
    } finally {
      ch.shutdownNow();
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
