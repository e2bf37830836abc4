package io.keel.chaos.workload.listappend;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.keel.chaos.checker.txn.MicroOp;
import io.keel.proto.etcdserverpb.Compare;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.ResponseOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.proto.etcdserverpb.TxnResponse;
import io.keel.proto.mvccpb.KeyValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs one list-append transaction over etcd's KV API, optimistically, with no retry: (1) one Txn of Range ops
 * reads every touched key (a list is its comma-separated decimal values; absent = empty) with its mod_revision;
 * (2) the micro-ops run locally; (3) unless read-only, one Txn commits the appended keys' new lists if every
 * touched key's mod_revision is unchanged. The commit point lies inside the call, so the txns are strictly
 * serializable when the store is. A failed read phase or compare is {@link NotApplied}.
 */
public final class ListAppendClient {
  /** Bound on a stored list's length, so a corrupt value cannot exhaust memory. */
  public static final int MAX_LIST_LENGTH = 100_000;

  private ListAppendClient() {
  }

  /**
   * The txn certainly had no effect: the read phase failed (nothing was sent to write), or the commit's compare
   * failed (another txn touched a key in between).
   */
  public static final class NotApplied extends Exception {
    NotApplied(String msg, Throwable cause) {
      super(msg, cause, false, false);
    }
  }

  /** Executes {@code txn}; returns its micro-ops with read results. */
  public static List<MicroOp> execute(ManagedChannel ch, List<MicroOp> txn, long timeoutMs) throws NotApplied {
    return execute(ch, txn, timeoutMs, false);
  }

  /**
   * As {@link #execute(ManagedChannel, List, long)}; with {@code unsafeSkipCompare} the commit writes blindly
   * (no mod_revision compare), which loses concurrent appends: a negative control the checker must catch.
   */
  public static List<MicroOp> execute(ManagedChannel ch, List<MicroOp> txn, long timeoutMs,
      boolean unsafeSkipCompare) throws NotApplied {
    Set<String> keys = new LinkedHashSet<>();
    txn.forEach(m -> keys.add(m.key()));
    TxnRequest.Builder read = TxnRequest.newBuilder();
    for (String k : keys) {
      read.addSuccess(RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(bytes(k))));
    }
    TxnResponse seen;
    try {
      seen = KVGrpc.newBlockingStub(ch).withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS).txn(read.build());
    } catch (StatusRuntimeException e) {
      throw new NotApplied("read phase: " + e.getStatus().getCode(), e);
    }
    Map<String, List<Long>> lists = new LinkedHashMap<>();
    Map<String, Long> modRevisions = new LinkedHashMap<>();
    int i = 0;
    for (String k : keys) {
      ResponseOp r = seen.getResponses(i++);
      List<KeyValue> kvs = r.getResponseRange().getKvsList();
      lists.put(k, kvs.isEmpty() ? new ArrayList<>() : decode(k, kvs.get(0).getValue()));
      modRevisions.put(k, kvs.isEmpty() ? 0L : kvs.get(0).getModRevision());
    }
    List<MicroOp> out = new ArrayList<>(txn.size());
    Set<String> written = new LinkedHashSet<>();
    for (MicroOp m : txn) {
      List<Long> l = lists.get(m.key());
      if (m.isAppend()) {
        l.add(m.value());
        written.add(m.key());
        out.add(m);
      } else {
        out.add(m.withRead(List.copyOf(l)));
      }
    }
    if (written.isEmpty()) {
      return out;
    }
    TxnRequest.Builder commit = TxnRequest.newBuilder();
    if (!unsafeSkipCompare) {
      modRevisions.forEach((k, rev) -> commit.addCompare(Compare.newBuilder().setKey(bytes(k))
          .setTarget(Compare.CompareTarget.MOD).setResult(Compare.CompareResult.EQUAL).setModRevision(rev)));
    }
    for (String k : written) {
      commit.addSuccess(RequestOp.newBuilder().setRequestPut(
          PutRequest.newBuilder().setKey(bytes(k)).setValue(encode(lists.get(k)))));
    }
    TxnResponse done = KVGrpc.newBlockingStub(ch).withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
        .txn(commit.build());
    if (!done.getSucceeded()) {
      throw new NotApplied("conflict: a touched key changed since revision " + seen.getHeader().getRevision(),
          null);
    }
    return out;
  }

  static ByteString encode(List<Long> list) {
    StringBuilder b = new StringBuilder();
    for (long x : list) {
      if (b.length() > 0) {
        b.append(',');
      }
      b.append(x);
    }
    return ByteString.copyFromUtf8(b.toString());
  }

  static List<Long> decode(String key, ByteString value) {
    String s = value.toString(StandardCharsets.UTF_8);
    List<Long> out = new ArrayList<>();
    if (s.isEmpty()) {
      return out;
    }
    for (String part : s.split(",", -1)) {
      if (out.size() >= MAX_LIST_LENGTH) {
        throw new IllegalStateException("list at " + key + " is longer than " + MAX_LIST_LENGTH);
      }
      try {
        out.add(Long.parseLong(part));
      } catch (NumberFormatException e) {
        throw new IllegalStateException("list at " + key + " holds a non-number '" + part + "'", e);
      }
    }
    return out;
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
