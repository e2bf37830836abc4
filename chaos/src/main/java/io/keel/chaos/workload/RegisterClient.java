package io.keel.chaos.workload;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.keel.proto.etcdserverpb.Compare;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Register operations over etcd's KV API, each one gRPC call with a deadline and no retry: read is a
 * linearizable Range, write a Put, cas a Txn comparing the value and putting on success. Values are decimal
 * strings.
 */
final class RegisterClient {
  private RegisterClient() {
  }

  /** The value, or null when the key is absent. */
  static Long read(ManagedChannel ch, String key, long timeoutMs) {
    RangeResponse r = KVGrpc.newBlockingStub(ch).withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
        .range(RangeRequest.newBuilder().setKey(bytes(key)).build());
    if (r.getKvsCount() == 0) {
      return null;
    }
    return Long.parseLong(r.getKvs(0).getValue().toString(StandardCharsets.UTF_8));
  }

  static void write(ManagedChannel ch, String key, long value, long timeoutMs) {
    KVGrpc.newBlockingStub(ch).withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
        .put(PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(Long.toString(value))).build());
  }

  /** True when the compare held and the value was written. */
  static boolean cas(ManagedChannel ch, String key, long expected, long value, long timeoutMs) {
    TxnRequest t = TxnRequest.newBuilder()
        .addCompare(Compare.newBuilder().setKey(bytes(key)).setTarget(Compare.CompareTarget.VALUE)
            .setResult(Compare.CompareResult.EQUAL).setValue(bytes(Long.toString(expected))))
        .addSuccess(RequestOp.newBuilder().setRequestPut(
            PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(Long.toString(value)))))
        .build();
    return KVGrpc.newBlockingStub(ch).withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS).txn(t).getSucceeded();
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
