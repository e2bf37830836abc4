package io.keel.watch.informer;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.keel.proto.etcdserverpb.CompactionRequest;
import io.keel.proto.etcdserverpb.DeleteRangeRequest;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/** Plain etcd v3 KV calls the tests write with. */
final class EtcdClient {
  private final KVGrpc.KVBlockingStub kv;

  EtcdClient(Channel channel) {
    this.kv = KVGrpc.newBlockingStub(channel);
  }

  private KVGrpc.KVBlockingStub stub() {
    return kv.withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  long put(String key, String value) {
    return stub().put(PutRequest.newBuilder().setKey(bs(key)).setValue(bs(value)).build()).getHeader().getRevision();
  }

  long delete(String key) {
    return stub().deleteRange(DeleteRangeRequest.newBuilder().setKey(bs(key)).build()).getHeader().getRevision();
  }

  /** Puts all pairs in one transaction (one revision). */
  long putAll(Map<String, String> kvs) {
    TxnRequest.Builder txn = TxnRequest.newBuilder();
    kvs.forEach((k, v) -> txn.addSuccess(RequestOp.newBuilder()
        .setRequestPut(PutRequest.newBuilder().setKey(bs(k)).setValue(bs(v)))));
    return stub().txn(txn.build()).getHeader().getRevision();
  }

  long revision() {
    return stub().range(RangeRequest.newBuilder().setKey(bs("\0")).setCountOnly(true).build()).getHeader().getRevision();
  }

  void compact(long revision) {
    stub().compact(CompactionRequest.newBuilder().setRevision(revision).setPhysical(true).build());
  }

  /** Current keys under {@code prefix} → values. */
  Map<String, String> list(String prefix) {
    KeyRange r = KeyRange.prefix(bs(prefix));
    Map<String, String> out = new TreeMap<>();
    stub().range(RangeRequest.newBuilder().setKey(r.key()).setRangeEnd(r.rangeEnd()).build()).getKvsList()
        .forEach(kv -> out.put(kv.getKey().toStringUtf8(), kv.getValue().toStringUtf8()));
    return out;
  }

  static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
