package io.keel.server.cluster;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.StatusRequest;
import java.util.function.BooleanSupplier;

/**
 * etcd 3.4's rule for a learner: it serves Maintenance Status and serializable Range only; every other call,
 * and every stream, fails with "etcdserver: rpc not supported for learner" (so clients go to a voting member).
 */
public final class LearnerInterceptor implements ServerInterceptor {
  private final BooleanSupplier isLearner;

  public LearnerInterceptor(BooleanSupplier isLearner) {
    this.isLearner = isLearner;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    if (!isLearner.getAsBoolean()) {
      return next.startCall(call, headers);
    }
    if (call.getMethodDescriptor().getType() != MethodDescriptor.MethodType.UNARY) {
      call.close(MemberErrors.NOT_SUPPORTED_FOR_LEARNER, new Metadata());
      return new ServerCall.Listener<>() {};
    }
    ServerCall.Listener<Q> delegate = next.startCall(call, headers);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      private boolean refused;

      @Override
      public void onMessage(Q message) {
        boolean allowed = message instanceof StatusRequest
            || (message instanceof RangeRequest r && r.getSerializable());
        if (!allowed) {
          refused = true;
          call.close(MemberErrors.NOT_SUPPORTED_FOR_LEARNER, new Metadata());
          return;
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!refused) {
          super.onHalfClose();
        }
      }
    };
  }
}
