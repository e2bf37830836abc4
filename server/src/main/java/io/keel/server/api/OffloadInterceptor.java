package io.keel.server.api;

import io.grpc.Context;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The client server runs gRPC's callbacks on Netty's event loop (no hand-off per call: measured, a unary put
 * cost four to five executor hand-offs, about a third of a member's CPU per put). Only calls that never block
 * may stay there: etcd's KV service, whose writes are handed to the Raft loop and whose reads are answered off
 * the loop. Every other service's callbacks (maintenance: hash, defragment, snapshot; cluster; lease; watch)
 * are moved here onto {@code pool}, one call's callbacks in order (a per-call serial queue), as gRPC's own
 * executor would. The pool is bounded; when it refuses work the call's callbacks run on the event loop instead
 * (back-pressure, counted), never dropped.
 */
public final class OffloadInterceptor implements ServerInterceptor {
  private final Set<String> inlineServices;
  private final Executor pool;
  private final Counter rejected;

  public OffloadInterceptor(Set<String> inlineServices, Executor pool, MeterRegistry registry) {
    this.inlineServices = Set.copyOf(inlineServices);
    this.pool = pool;
    this.rejected = Counter.builder("keel.grpc.offload.rejected")
        .description("callbacks run on the event loop because the blocking-call pool was full").register(registry);
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
      ServerCallHandler<Q, A> next) {
    if (inlineServices.contains(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    Serial serial = new Serial(Context.current()); // the call's context (deadline, cancellation), as gRPC's own
    ServerCall.Listener<Q> delegate = next.startCall(call, headers);
    return new SimpleForwardingServerCallListener<>(delegate) {
      @Override
      public void onMessage(Q message) {
        serial.execute(() -> delegate().onMessage(message));
      }

      @Override
      public void onHalfClose() {
        serial.execute(() -> delegate().onHalfClose());
      }

      @Override
      public void onCancel() {
        serial.execute(() -> delegate().onCancel());
      }

      @Override
      public void onComplete() {
        serial.execute(() -> delegate().onComplete());
      }

      @Override
      public void onReady() {
        serial.execute(() -> delegate().onReady());
      }
    };
  }

  /** Runs one call's callbacks on the pool one at a time, in submission order. */
  private final class Serial implements Runnable {
    /** Bounded by gRPC's flow control: a call delivers its next message only after the last was handled. */
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private final Context context;
    private boolean scheduled;

    Serial(Context context) {
      this.context = context;
    }

    void execute(Runnable task) {
      synchronized (this) {
        tasks.add(task);
        if (scheduled) {
          return;
        }
        scheduled = true;
      }
      try {
        pool.execute(this);
      } catch (RejectedExecutionException e) {
        rejected.increment();
        run(); // nothing of this call is queued or running on the pool now: run its callbacks here, in order
      }
    }

    @Override
    public void run() {
      while (true) {
        Runnable next;
        synchronized (this) {
          next = tasks.poll();
          if (next == null) {
            scheduled = false;
            return;
          }
        }
        Context previous = context.attach();
        try {
          next.run();
        } finally {
          context.detach(previous);
        }
      }
    }
  }
}
