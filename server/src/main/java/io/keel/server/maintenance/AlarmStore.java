package io.keel.server.maintenance;

import io.keel.kvstore.MvccStore;
import io.keel.kvstore.RevisionListener;
import io.keel.proto.mvccpb.Event;
import io.keel.kvstore.ServerRecords;
import io.keel.proto.etcdserverpb.AlarmMember;
import io.keel.proto.etcdserverpb.AlarmRequest;
import io.keel.proto.etcdserverpb.AlarmResponse;
import io.keel.proto.etcdserverpb.AlarmType;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.TxnRequest;
import io.keel.proto.internal.InternalRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The cluster's active alarms (etcd's alarm store), changed only by applying Raft entries and persisted as
 * {@link ServerRecords} in the same RocksDB batch as the applied index, so they survive restarts. Single
 * writer (the apply thread); readers see an immutable list. While a NOSPACE alarm is active, applying a request
 * that adds data fails with "database space exceeded" on every member (etcd's capped applier).
 */
public final class AlarmStore {
  private static final String PREFIX = ServerRecords.PREFIX + "alarm/";
  private static final Comparator<AlarmMember> ORDER = Comparator
      .comparing((AlarmMember a) -> a.getMemberID(), Long::compareUnsigned).thenComparing(AlarmMember::getAlarmValue);

  private final ServerRecords records;
  private volatile List<AlarmMember> active;
  private volatile boolean noSpace;

  public AlarmStore(MvccStore store) {
    this.records = new ServerRecords(store);
    load();
    // A snapshot installed from the leader replaces the store, alarms included: read them again.
    store.addListener(new RevisionListener() {
      @Override
      public void onRevision(long revision, List<Event> events) {}

      @Override
      public void onRestored(long revision, long compactRevision) {
        load();
      }
    });
  }

  private void load() {
    List<AlarmMember> loaded = new ArrayList<>();
    for (Map.Entry<String, byte[]> e : records.entries(PREFIX).entrySet()) {
      loaded.add(parseKey(e.getKey()));
    }
    publish(loaded);
  }

  /** All active alarms, ordered by member id then type. */
  public List<AlarmMember> active() {
    return active;
  }

  /** Whether any member has raised NOSPACE (cheap: one volatile read). */
  public boolean noSpace() {
    return noSpace;
  }

  /** Whether {@code memberId} has raised {@code type}. */
  public boolean isActive(long memberId, AlarmType type) {
    return active.stream().anyMatch(a -> a.getMemberID() == memberId && a.getAlarm() == type);
  }

  /** Whether applying {@code req} must fail with NOSPACE: the alarm is active and the request adds data. */
  public boolean refuses(InternalRequest req) {
    return noSpace && addsData(req);
  }

  static boolean addsData(InternalRequest req) {
    return switch (req.getRequestCase()) {
      case PUT -> true;
      case TXN -> QuotaCost.ofTxn(req.getTxn()) > 0;
      default -> false;
    };
  }

  /** Applies an alarm request at Raft index {@code index} (apply thread); the response lists what changed. */
  public AlarmResponse apply(AlarmRequest req, long index) {
    AlarmResponse.Builder resp = AlarmResponse.newBuilder();
    AlarmMember m = AlarmMember.newBuilder().setMemberID(req.getMemberID()).setAlarm(req.getAlarm()).build();
    switch (req.getAction()) {
      case GET -> resp.addAllAlarms(get(req.getAlarm()));
      case ACTIVATE -> {
        if (req.getAlarm() == AlarmType.NONE || req.getAlarm() == AlarmType.UNRECOGNIZED) {
          break;
        }
        if (!active.contains(m)) {
          records.put(key(m), new byte[0], index);
          List<AlarmMember> next = new ArrayList<>(active);
          next.add(m);
          publish(next);
        }
        resp.addAlarms(m);
      }
      case DEACTIVATE -> {
        if (active.contains(m)) {
          records.put(key(m), null, index);
          List<AlarmMember> next = new ArrayList<>(active);
          next.remove(m);
          publish(next);
          resp.addAlarms(m);
        }
      }
      default -> { }
    }
    return resp.build();
  }

  /** Alarms of {@code type}, or all for NONE (etcd's GET). */
  public List<AlarmMember> get(AlarmType type) {
    return active.stream().filter(a -> type == AlarmType.NONE || a.getAlarm() == type).toList();
  }

  /** etcd's text of an alarm as Status.errors and etcdctl show it: "memberID:&lt;id&gt; alarm:NOSPACE ". */
  public static String describe(AlarmMember a) {
    return "memberID:" + Long.toUnsignedString(a.getMemberID()) + " alarm:" + a.getAlarm().name() + " ";
  }

  private void publish(List<AlarmMember> next) {
    List<AlarmMember> sorted = new ArrayList<>(next);
    sorted.sort(ORDER);
    active = List.copyOf(sorted);
    noSpace = sorted.stream().anyMatch(a -> a.getAlarm() == AlarmType.NOSPACE);
  }

  private static String key(AlarmMember m) {
    return PREFIX + String.format("%016x/%d", m.getMemberID(), m.getAlarmValue());
  }

  private static AlarmMember parseKey(String key) {
    String[] parts = key.substring(PREFIX.length()).split("/");
    if (parts.length != 2) {
      throw new IllegalStateException("malformed alarm record " + key);
    }
    return AlarmMember.newBuilder().setMemberID(Long.parseUnsignedLong(parts[0], 16))
        .setAlarmValue(Integer.parseInt(parts[1])).build();
  }

  /** Quota costs of requests, as etcd's backend quota counts them (bytes a request adds). */
  public static final class QuotaCost {
    private QuotaCost() {}

    public static long ofPut(PutRequest r) {
      return r.getSerializedSize();
    }

    /** Sum of the puts in both branches (nested txns included); 0 for a txn that adds nothing. */
    public static long ofTxn(TxnRequest r) {
      return ofOps(r.getSuccessList()) + ofOps(r.getFailureList());
    }

    private static long ofOps(List<RequestOp> ops) {
      long sum = 0;
      for (RequestOp op : ops) {
        if (op.hasRequestPut()) {
          sum += ofPut(op.getRequestPut());
        } else if (op.hasRequestTxn()) {
          sum += ofTxn(op.getRequestTxn());
        }
      }
      return sum;
    }
  }
}
