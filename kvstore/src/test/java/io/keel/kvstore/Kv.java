package io.keel.kvstore;

import com.google.protobuf.ByteString;
import io.keel.proto.etcdserverpb.Compare;
import io.keel.proto.etcdserverpb.DeleteRangeRequest;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import java.nio.charset.StandardCharsets;

/** Test helpers building etcd requests from strings. */
final class Kv {
  private Kv() {}

  static ByteString b(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }

  static String s(ByteString b) {
    return b.toStringUtf8();
  }

  static PutRequest put(String k, String v) {
    return PutRequest.newBuilder().setKey(b(k)).setValue(b(v)).build();
  }

  static RangeRequest get(String k) {
    return RangeRequest.newBuilder().setKey(b(k)).build();
  }

  static RangeRequest range(String k, String end) {
    return RangeRequest.newBuilder().setKey(b(k)).setRangeEnd(b(end)).build();
  }

  static DeleteRangeRequest del(String k) {
    return DeleteRangeRequest.newBuilder().setKey(b(k)).build();
  }

  static DeleteRangeRequest del(String k, String end) {
    return DeleteRangeRequest.newBuilder().setKey(b(k)).setRangeEnd(b(end)).build();
  }

  static RequestOp op(PutRequest p) {
    return RequestOp.newBuilder().setRequestPut(p).build();
  }

  static RequestOp op(RangeRequest r) {
    return RequestOp.newBuilder().setRequestRange(r).build();
  }

  static RequestOp op(DeleteRangeRequest d) {
    return RequestOp.newBuilder().setRequestDeleteRange(d).build();
  }

  static RequestOp op(TxnRequest t) {
    return RequestOp.newBuilder().setRequestTxn(t).build();
  }

  static Compare cmpVersion(String k, Compare.CompareResult r, long v) {
    return Compare.newBuilder().setKey(b(k)).setTarget(Compare.CompareTarget.VERSION).setResult(r)
        .setVersion(v).build();
  }

  static Compare cmpValue(String k, Compare.CompareResult r, String v) {
    return Compare.newBuilder().setKey(b(k)).setTarget(Compare.CompareTarget.VALUE).setResult(r)
        .setValue(b(v)).build();
  }
}
