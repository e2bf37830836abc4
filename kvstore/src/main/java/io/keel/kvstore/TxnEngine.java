package io.keel.kvstore;

import com.google.protobuf.ByteString;
import io.keel.proto.etcdserverpb.Compare;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.ResponseHeader;
import io.keel.proto.etcdserverpb.ResponseOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.proto.etcdserverpb.TxnResponse;
import io.keel.proto.mvccpb.KeyValue;
import java.util.ArrayList;
import java.util.List;

/**
 * etcd's Txn applier: evaluates every compare (including nested txns on the chosen branches) against the
 * revision before the txn, checks the chosen branch's preconditions (ignore_* keys exist, leases exist,
 * range revisions valid) so that a failure applies nothing, then applies the chosen ops in order.
 */
final class TxnEngine {
  private final MvccStore store;

  TxnEngine(MvccStore store) {
    this.store = store;
  }

  /** The branch taken by a txn and, in op order, the decisions of its nested txns. */
  private static final class Decision {
    final TxnRequest txn;
    final boolean succeeded;
    final List<Decision> nested = new ArrayList<>();

    Decision(TxnRequest txn, boolean succeeded) {
      this.txn = txn;
      this.succeeded = succeeded;
    }

    List<RequestOp> ops() {
      return succeeded ? txn.getSuccessList() : txn.getFailureList();
    }
  }

  TxnResponse apply(TxnRequest r, WriteTxn tw) {
    Decision d = decide(r, tw);
    checkPuts(d, tw);
    checkRanges(d, tw);
    TxnResponse.Builder resp = applyDecision(d, tw);
    resp.setHeader(ResponseHeader.newBuilder().setRevision(tw.readRev()));
    return resp.build();
  }

  private Decision decide(TxnRequest r, WriteTxn tw) {
    boolean ok = true;
    for (Compare c : r.getCompareList()) {
      if (!compare(c, tw)) {
        ok = false;
        break;
      }
    }
    Decision d = new Decision(r, ok);
    for (RequestOp op : d.ops()) {
      if (op.hasRequestTxn()) {
        d.nested.add(decide(op.getRequestTxn(), tw));
      }
    }
    return d;
  }

  private boolean compare(Compare c, WriteTxn tw) {
    List<KeyValue> kvs;
    try {
      kvs = Ranges.kvs(store.index(), tw, c.getKey().toByteArray(), Ranges.scanEnd(c.getRangeEnd()),
          tw.readRev());
    } catch (EtcdException e) {
      return false;
    }
    if (kvs.isEmpty()) {
      if (c.getTarget() == Compare.CompareTarget.VALUE) {
        return false; // etcd: comparing the value of a missing key always fails
      }
      return compareKv(c, KeyValue.getDefaultInstance());
    }
    for (KeyValue kv : kvs) {
      if (!compareKv(c, kv)) {
        return false;
      }
    }
    return true;
  }

  static boolean compareKv(Compare c, KeyValue kv) {
    int result;
    switch (c.getTarget()) {
      case VALUE: {
        ByteString v = c.getTargetUnionCase() == Compare.TargetUnionCase.VALUE ? c.getValue() : ByteString.EMPTY;
        result = Integer.signum(ByteString.unsignedLexicographicalComparator().compare(kv.getValue(), v));
        break;
      }
      case CREATE:
        result = Long.compare(kv.getCreateRevision(),
            c.getTargetUnionCase() == Compare.TargetUnionCase.CREATE_REVISION ? c.getCreateRevision() : 0);
        break;
      case MOD:
        result = Long.compare(kv.getModRevision(),
            c.getTargetUnionCase() == Compare.TargetUnionCase.MOD_REVISION ? c.getModRevision() : 0);
        break;
      case VERSION:
        result = Long.compare(kv.getVersion(),
            c.getTargetUnionCase() == Compare.TargetUnionCase.VERSION ? c.getVersion() : 0);
        break;
      case LEASE:
        result = Long.compare(kv.getLease(),
            c.getTargetUnionCase() == Compare.TargetUnionCase.LEASE ? c.getLease() : 0);
        break;
      default:
        result = 0;
    }
    switch (c.getResult()) {
      case EQUAL:
        return result == 0;
      case NOT_EQUAL:
        return result != 0;
      case GREATER:
        return result > 0;
      case LESS:
        return result < 0;
      default:
        return true;
    }
  }

  private void checkPuts(Decision d, WriteTxn tw) {
    int nested = 0;
    for (RequestOp op : d.ops()) {
      if (op.hasRequestTxn()) {
        checkPuts(d.nested.get(nested++), tw);
      } else if (op.hasRequestPut()) {
        PutRequest p = op.getRequestPut();
        if ((p.getIgnoreValue() || p.getIgnoreLease()) && !tw.isLive(p.getKey())) {
          throw EtcdError.KEY_NOT_FOUND.exception();
        }
        if (p.getLease() != 0 && !store.leaseExists(p.getLease())) {
          throw EtcdError.LEASE_NOT_FOUND.exception();
        }
      }
    }
  }

  private void checkRanges(Decision d, WriteTxn tw) {
    int nested = 0;
    for (RequestOp op : d.ops()) {
      if (op.hasRequestTxn()) {
        checkRanges(d.nested.get(nested++), tw);
      } else if (op.hasRequestRange()) {
        RangeRequest rr = op.getRequestRange();
        if (rr.getRevision() == 0) {
          continue;
        }
        if (rr.getRevision() > tw.beginRev) {
          throw EtcdError.FUTURE_REV.exception();
        }
        if (rr.getRevision() < store.compactRevisionRaw()) {
          throw EtcdError.COMPACTED.exception();
        }
      }
    }
  }

  private TxnResponse.Builder applyDecision(Decision d, WriteTxn tw) {
    TxnResponse.Builder resp = TxnResponse.newBuilder().setSucceeded(d.succeeded);
    int nested = 0;
    for (RequestOp op : d.ops()) {
      ResponseOp.Builder ro = ResponseOp.newBuilder();
      switch (op.getRequestCase()) {
        case REQUEST_RANGE:
          ro.setResponseRange(tw.range(op.getRequestRange()));
          break;
        case REQUEST_PUT:
          ro.setResponsePut(tw.put(op.getRequestPut()));
          break;
        case REQUEST_DELETE_RANGE:
          ro.setResponseDeleteRange(tw.deleteRange(op.getRequestDeleteRange()));
          break;
        case REQUEST_TXN:
          // etcd gives nested txn responses an empty header
          ro.setResponseTxn(applyDecision(d.nested.get(nested++), tw).setHeader(ResponseHeader.getDefaultInstance()));
          break;
        default:
          break; // empty op: etcd returns an empty ResponseOp
      }
      resp.addResponses(ro);
    }
    return resp;
  }
}
