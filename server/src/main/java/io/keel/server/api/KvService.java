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
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.proto.etcdserverpb.TxnResponse;
import io.keel.server.apply.Applier;
import java.util.concurrent.CompletableFuture;

/**
 * etcd's KV service. Requests are checked as etcd's API layer checks them (size, empty key, txn shape) before
 * they reach the store, so bad input never touches stored data. Reads run on the calling thread; writes go to
 * the single-writer {@link Applier}.
 */
public final class KvService extends KVGrpc.KVImplBase {
  private final MvccStore store;
  private final Applier applier;
  private final RequestValidator validator;
  private final Headers headers;
  private final long maxRequestBytes;

  public KvService(MvccStore store, Applier applier, RequestValidator validator, Headers headers,
      long maxRequestBytes) {
    this.store = store;
    this.applier = applier;
    this.validator = validator;
    this.headers = headers;
    this.maxRequestBytes = maxRequestBytes;
  }

  @Override
  public void range(RangeRequest req, StreamObserver<RangeResponse> out) {
    try {
      validator.checkRange(req);
      RangeResponse r = store.range(req);
      out.onNext(r.toBuilder().setHeader(headers.complete(r.getHeader())).build());
      out.onCompleted();
    } catch (RuntimeException e) {
      GrpcErrors.fail(out, e);
    }
  }

  @Override
  public void put(PutRequest req, StreamObserver<PutResponse> out) {
    write(req, out, () -> validator.checkPut(req), (s, i) -> {
      PutResponse r = s.put(req, i);
      return r.toBuilder().setHeader(headers.complete(r.getHeader())).build();
    });
  }

  @Override
  public void deleteRange(DeleteRangeRequest req, StreamObserver<DeleteRangeResponse> out) {
    write(req, out, () -> validator.checkDeleteRange(req), (s, i) -> {
      DeleteRangeResponse r = s.deleteRange(req, i);
      return r.toBuilder().setHeader(headers.complete(r.getHeader())).build();
    });
  }

  @Override
  public void txn(TxnRequest req, StreamObserver<TxnResponse> out) {
    write(req, out, () -> validator.checkTxn(req), (s, i) -> {
      TxnResponse r = s.txn(req, i);
      return r.toBuilder().setHeader(headers.complete(r.getHeader())).build();
    });
  }

  @Override
  public void compact(CompactionRequest req, StreamObserver<CompactionResponse> out) {
    write(req, out, () -> { }, (s, i) -> {
      CompactionResponse r = s.compact(req, i);
      return r.toBuilder().setHeader(headers.complete(r.getHeader())).build();
    });
  }

  private <T> void write(MessageLite req, StreamObserver<T> out, Runnable validate, Applier.WriteOp<T> op) {
    CompletableFuture<T> f;
    try {
      if (req.getSerializedSize() > maxRequestBytes) {
        throw new EtcdException(EtcdError.REQUEST_TOO_LARGE);
      }
      validate.run();
      f = applier.submit(op);
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
