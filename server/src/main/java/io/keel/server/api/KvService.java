package io.keel.server.api;

import com.google.protobuf.MessageLite;
import io.grpc.stub.StreamObserver;
import io.keel.kvstore.EtcdError;
import io.keel.kvstore.EtcdException;
import io.keel.kvstore.MvccStore;
import io.keel.kvstore.RequestValidator;
import io.keel.proto.etcdserverpb.CompactionRequest;
import io.keel.proto.etcdserverpb.CompactionResponse;
import io.keel.proto.etcdserverpb.DeleteRangeRequest;
import io.keel.proto.etcdserverpb.DeleteRangeResponse;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.PutResponse;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.proto.etcdserverpb.TxnResponse;
import io.keel.proto.internal.InternalRequest;
import io.keel.server.raft.RaftMember;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * etcd's KV service. Requests are checked as etcd's API layer checks them (size, empty key, txn shape) before
 * they are proposed, so bad input never reaches the log or the store. Writes are proposed to Raft and answered
 * once applied here; linearizable reads wait for a ReadIndex barrier, serializable ones read locally.
 * Handlers run on Netty's event loop ({@link OffloadInterceptor}) and never block it: writes are handed to the
 * Raft loop, linearizable reads are answered when their barrier completes, and local reads (which may scan much
 * of the store) run on {@code localReads}, a bounded pool; when it is full the read fails with "too many
 * requests".
 */
public final class KvService extends KVGrpc.KVImplBase {
  private final MvccStore store;
  private final RaftMember member;
  private final RequestValidator validator;
  private final Headers headers;
  private final long maxRequestBytes;
  private final Executor localReads;
  /** Negative-control fault "local-linearizable-reads": linearizable reads skip ReadIndex (may be stale). */
  private volatile boolean unsafeLocalReads;

  public KvService(MvccStore store, RaftMember member, RequestValidator validator, Headers headers,
      long maxRequestBytes, Executor localReads) {
    this.localReads = localReads;
    this.store = store;
    this.member = member;
    this.validator = validator;
    this.headers = headers;
    this.maxRequestBytes = maxRequestBytes;
  }

  /** Test builds only (--unsafe-testing-faults local-linearizable-reads): serve every read locally. */
  public KvService unsafeLocalLinearizableReads(boolean on) {
    this.unsafeLocalReads = on;
    return this;
  }

  @Override
  public void range(RangeRequest req, StreamObserver<RangeResponse> out) {
    try {
      validator.checkRange(req);
      if (req.getSerializable() || unsafeLocalReads) {
        readLocally(out, () -> answerRange(req, out));
        return;
      }
      member.linearizableBarrier().whenComplete((ok, err) -> {
        if (err != null) {
          GrpcErrors.fail(out, err);
        } else {
          answerRange(req, out);
        }
      });
    } catch (RuntimeException e) {
      GrpcErrors.fail(out, e);
    }
  }

  private void readLocally(StreamObserver<?> out, Runnable read) {
    try {
      localReads.execute(read);
    } catch (RejectedExecutionException e) {
      GrpcErrors.fail(out, EtcdStatus.TOO_MANY_REQUESTS.asRuntimeException());
    }
  }

  private void answerRange(RangeRequest req, StreamObserver<RangeResponse> out) {
    try {
      RangeResponse r = store.range(req);
      out.onNext(r.toBuilder().setHeader(headers.complete(r.getHeader())).build());
      out.onCompleted();
    } catch (RuntimeException e) {
      GrpcErrors.fail(out, e);
    }
  }

  @Override
  public void put(PutRequest req, StreamObserver<PutResponse> out) {
    write(req, out, () -> validator.checkPut(req), InternalRequest.newBuilder().setPut(req));
  }

  @Override
  public void deleteRange(DeleteRangeRequest req, StreamObserver<DeleteRangeResponse> out) {
    write(req, out, () -> validator.checkDeleteRange(req), InternalRequest.newBuilder().setDeleteRange(req));
  }

  @Override
  public void txn(TxnRequest req, StreamObserver<TxnResponse> out) {
    if (!isReadOnly(req)) {
      write(req, out, () -> validator.checkTxn(req), InternalRequest.newBuilder().setTxn(req));
      return;
    }
    // As etcd: a txn without writes is not proposed; it is served like a read (linearizable unless every
    // range in it asks for serializable) and so adds nothing to the Raft log.
    try {
      validator.checkTxn(req);
      if (isSerializable(req) || unsafeLocalReads) {
        readLocally(out, () -> answerReadOnlyTxn(req, out));
        return;
      }
      member.linearizableBarrier().whenComplete((ok, err) -> {
        if (err != null) {
          GrpcErrors.fail(out, err);
        } else {
          answerReadOnlyTxn(req, out);
        }
      });
    } catch (RuntimeException e) {
      GrpcErrors.fail(out, e);
    }
  }

  private void answerReadOnlyTxn(TxnRequest req, StreamObserver<TxnResponse> out) {
    try {
      TxnResponse r = store.txn(req, 0);
      out.onNext(r.toBuilder().setHeader(headers.complete(r.getHeader())).build());
      out.onCompleted();
    } catch (RuntimeException e) {
      GrpcErrors.fail(out, e);
    }
  }

  static boolean isReadOnly(TxnRequest req) {
    return opsReadOnly(req.getSuccessList()) && opsReadOnly(req.getFailureList());
  }

  private static boolean opsReadOnly(java.util.List<RequestOp> ops) {
    for (RequestOp op : ops) {
      switch (op.getRequestCase()) {
        case REQUEST_RANGE -> { }
        case REQUEST_TXN -> {
          if (!isReadOnly(op.getRequestTxn())) {
            return false;
          }
        }
        default -> {
          return false;
        }
      }
    }
    return true;
  }

  private static boolean isSerializable(TxnRequest req) {
    return opsSerializable(req.getSuccessList()) && opsSerializable(req.getFailureList());
  }

  private static boolean opsSerializable(java.util.List<RequestOp> ops) {
    for (RequestOp op : ops) {
      if (op.hasRequestRange() && !op.getRequestRange().getSerializable()) {
        return false;
      }
      if (op.hasRequestTxn() && !isSerializable(op.getRequestTxn())) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void compact(CompactionRequest req, StreamObserver<CompactionResponse> out) {
    write(req, out, () -> { }, InternalRequest.newBuilder().setCompaction(req));
  }

  private <T> void write(MessageLite req, StreamObserver<T> out, Runnable validate, InternalRequest.Builder op) {
    CompletableFuture<T> f;
    try {
      if (req.getSerializedSize() > maxRequestBytes) {
        throw new EtcdException(EtcdError.REQUEST_TOO_LARGE);
      }
      validate.run();
      f = member.write(op);
    } catch (RuntimeException e) {
      GrpcErrors.fail(out, e);
      return;
    }
    f.whenComplete((resp, err) -> {
      if (err != null) {
        GrpcErrors.fail(out, err);
      } else {
        out.onNext(resp);
        out.onCompleted();
      }
    });
  }
}
