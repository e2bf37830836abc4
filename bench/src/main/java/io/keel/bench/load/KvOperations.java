package io.keel.bench.load;

import com.google.protobuf.ByteString;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The KV requests of etcd's benchmark (put, range, txn-put) as {@link AsyncOperation}s over
 * {@link EtcdConnections}.
 */
public final class KvOperations {

  /** Maximum operations in one txn (etcd's default --max-txn-ops is 128). */
  public static final int MAX_TXN_OPS = 128;

  private KvOperations() {}

  /** Put one key per request; the value is the same random bytes for the whole run, like etcd. */
  public static AsyncOperation put(EtcdConnections conns, int clients, KeyGenerator keys, int valSize,
      long requestTimeoutMs) {
    List<KVGrpc.KVStub> stubs = stubs(conns);
    ByteString value = KeyGenerator.randomValue(valSize, new SplittableRandom(42));
    return (client, seq, done) -> {
      ByteString key = keys.key(seq);
      stub(stubs, client, requestTimeoutMs)
          .put(PutRequest.newBuilder().setKey(key).setValue(value).build(), new UnaryCall<>(done));
    };
  }

  /**
   * Range [key, end) (a single key when {@code end} is empty).
   *
   * @param serializable true for etcd's --consistency=s
   */
  public static AsyncOperation range(EtcdConnections conns, ByteString key, ByteString end, boolean serializable,
      long requestTimeoutMs) {
    List<KVGrpc.KVStub> stubs = stubs(conns);
    RangeRequest req = RangeRequest.newBuilder().setKey(key).setRangeEnd(end).setSerializable(serializable).build();
    return (client, seq, done) -> stub(stubs, client, requestTimeoutMs).range(req, new UnaryCall<>(done));
  }

  /** A txn of {@code txnOps} puts of distinct keys (no compares), like etcd's txn-put. */
  public static AsyncOperation txnPut(EtcdConnections conns, int clients, KeyGenerator keys, int valSize,
      int txnOps, long requestTimeoutMs) {
    if (txnOps < 1 || txnOps > MAX_TXN_OPS) {
      throw new IllegalArgumentException("txn-ops must be in 1.." + MAX_TXN_OPS + ": " + txnOps);
    }
    List<KVGrpc.KVStub> stubs = stubs(conns);
    ByteString value = KeyGenerator.randomValue(valSize, new SplittableRandom(42));
    return (client, seq, done) -> {
      TxnRequest.Builder txn = TxnRequest.newBuilder();
      Set<ByteString> seen = new HashSet<>();
      for (int i = 0; i < txnOps; i++) {
        ByteString key = keys.key(seq * txnOps + i);
        if (!seen.add(key)) {
          continue; // etcd rejects duplicate keys in one txn
        }
        txn.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(key).setValue(value)));
      }
      stub(stubs, client, requestTimeoutMs).txn(txn.build(), new UnaryCall<>(done));
    };
  }

  static List<KVGrpc.KVStub> stubs(EtcdConnections conns) {
    List<KVGrpc.KVStub> out = new ArrayList<>(conns.size());
    for (int i = 0; i < conns.size(); i++) {
      out.add(KVGrpc.newStub(conns.forClient(i)));
    }
    return out;
  }

  static KVGrpc.KVStub stub(List<KVGrpc.KVStub> stubs, int client, long requestTimeoutMs) {
    return stubs.get(client % stubs.size()).withDeadlineAfter(requestTimeoutMs, TimeUnit.MILLISECONDS);
  }
}
