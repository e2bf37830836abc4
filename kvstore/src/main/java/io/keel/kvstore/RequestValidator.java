package io.keel.kvstore;

import com.google.protobuf.ByteString;
import io.keel.proto.etcdserverpb.Compare;
import io.keel.proto.etcdserverpb.DeleteRangeRequest;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * etcd's API-layer request checks (v3rpc key.go), run before a request is proposed and again by the store
 * before applying: empty keys, ignore_value/ignore_lease misuse, invalid sort options, txn size (counted as
 * etcd does: the largest of compares/success/failure, nested txns get the remainder) and duplicate keys among
 * a txn's writes (puts on the same key, or a put inside a delete range, across nested txns, with etcd's
 * rule that the two branches of one nested txn may put the same key).
 */
public final class RequestValidator {
  /** etcd's default --max-txn-ops. */
  public static final int DEFAULT_MAX_TXN_OPS = 128;
  /** etcd's default --max-request-bytes (1.5 MiB). */
  public static final int DEFAULT_MAX_REQUEST_BYTES = 1536 * 1024;

  private final int maxTxnOps;

  public RequestValidator(int maxTxnOps) {
    if (maxTxnOps < 1) {
      throw new IllegalArgumentException("maxTxnOps must be >= 1");
    }
    this.maxTxnOps = maxTxnOps;
  }

  public RequestValidator() {
    this(DEFAULT_MAX_TXN_OPS);
  }

  /** Rejects a serialized request larger than maxBytes (etcd: request is too large). */
  public static void checkSize(long serializedBytes, long maxBytes) {
    if (serializedBytes > maxBytes) {
      throw EtcdError.REQUEST_TOO_LARGE.exception();
    }
  }

  public void checkRange(RangeRequest r) {
    if (r.getKey().isEmpty()) {
      throw EtcdError.EMPTY_KEY.exception();
    }
    if (r.getSortOrder() == RangeRequest.SortOrder.UNRECOGNIZED
        || r.getSortTarget() == RangeRequest.SortTarget.UNRECOGNIZED) {
      throw EtcdError.INVALID_SORT_OPTION.exception();
    }
  }

  public void checkPut(PutRequest r) {
    if (r.getKey().isEmpty()) {
      throw EtcdError.EMPTY_KEY.exception();
    }
    if (r.getIgnoreValue() && !r.getValue().isEmpty()) {
      throw EtcdError.VALUE_PROVIDED.exception();
    }
    if (r.getIgnoreLease() && r.getLease() != 0) {
      throw EtcdError.LEASE_PROVIDED.exception();
    }
  }

  public void checkDeleteRange(DeleteRangeRequest r) {
    if (r.getKey().isEmpty()) {
      throw EtcdError.EMPTY_KEY.exception();
    }
  }

  /** All txn checks: sizes and per-op checks, then etcd's put/delete overlap rules. */
  public void checkTxn(TxnRequest r) {
    checkTxnOps(r, maxTxnOps);
    checkIntervals(r.getSuccessList());
    checkIntervals(r.getFailureList());
  }

  private void checkTxnOps(TxnRequest r, int max) {
    int opc = Math.max(r.getCompareCount(), Math.max(r.getSuccessCount(), r.getFailureCount()));
    if (opc > max) {
      throw EtcdError.TOO_MANY_OPS.exception();
    }
    for (Compare c : r.getCompareList()) {
      if (c.getKey().isEmpty()) {
        throw EtcdError.EMPTY_KEY.exception();
      }
    }
    for (RequestOp op : r.getSuccessList()) {
      checkOp(op, max - opc);
    }
    for (RequestOp op : r.getFailureList()) {
      checkOp(op, max - opc);
    }
  }

  private void checkOp(RequestOp op, int max) {
    switch (op.getRequestCase()) {
      case REQUEST_RANGE:
        checkRange(op.getRequestRange());
        break;
      case REQUEST_PUT:
        checkPut(op.getRequestPut());
        break;
      case REQUEST_DELETE_RANGE:
        checkDeleteRange(op.getRequestDeleteRange());
        break;
      case REQUEST_TXN:
        checkTxnOps(op.getRequestTxn(), max);
        break;
      default:
        throw EtcdError.KEY_NOT_FOUND.exception(); // etcd: an empty op
    }
  }

  /** A delete range as etcd's interval tree sees it: [begin, end), empty end = unbounded. */
  private static final class Interval {
    final ByteString begin;
    final ByteString end;

    Interval(ByteString begin, ByteString end) {
      this.begin = begin;
      this.end = end;
    }

    /** etcd adt: does point k (the interval [k, k+"\0")) overlap this interval? */
    boolean containsPoint(ByteString k) {
      if (cmp(k, begin) < 0) {
        return false; // the point lies left of the interval
      }
      return end.isEmpty() || cmp(k, end) < 0;
    }
  }

  private static int cmp(ByteString a, ByteString b) {
    return ByteString.unsignedLexicographicalComparator().compare(a, b);
  }

  private static boolean intersects(List<Interval> dels, ByteString k) {
    for (Interval iv : dels) {
      if (iv.containsPoint(k)) {
        return true;
      }
    }
    return false;
  }

  private static final class PutsDels {
    final Set<ByteString> puts;
    final List<Interval> dels;

    PutsDels(Set<ByteString> puts, List<Interval> dels) {
      this.puts = puts;
      this.dels = dels;
    }
  }

  private static PutsDels checkIntervals(List<RequestOp> reqs) {
    List<Interval> dels = new ArrayList<>();
    for (RequestOp op : reqs) {
      if (op.hasRequestDeleteRange()) {
        DeleteRangeRequest d = op.getRequestDeleteRange();
        if (d.getRangeEnd().isEmpty()) {
          dels.add(new Interval(d.getKey(), d.getKey().concat(ByteString.copyFrom(new byte[] {0}))));
        } else {
          dels.add(new Interval(d.getKey(), d.getRangeEnd()));
        }
      }
    }
    Set<ByteString> puts = new HashSet<>();
    for (RequestOp op : reqs) {
      if (!op.hasRequestTxn()) {
        continue;
      }
      PutsDels then = checkIntervals(op.getRequestTxn().getSuccessList());
      PutsDels els = checkIntervals(op.getRequestTxn().getFailureList());
      for (ByteString k : then.puts) {
        if (puts.contains(k) || intersects(dels, k)) {
          throw EtcdError.DUPLICATE_KEY.exception();
        }
        puts.add(k);
      }
      for (ByteString k : els.puts) {
        if (puts.contains(k) && !then.puts.contains(k)) {
          throw EtcdError.DUPLICATE_KEY.exception();
        }
        if (intersects(dels, k)) {
          throw EtcdError.DUPLICATE_KEY.exception();
        }
        puts.add(k);
      }
      dels.addAll(then.dels);
      dels.addAll(els.dels);
    }
    for (RequestOp op : reqs) {
      if (!op.hasRequestPut()) {
        continue;
      }
      ByteString k = op.getRequestPut().getKey();
      if (puts.contains(k) || intersects(dels, k)) {
        throw EtcdError.DUPLICATE_KEY.exception();
      }
      puts.add(k);
    }
    return new PutsDels(puts, dels);
  }
}
