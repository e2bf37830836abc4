package io.keel.server.maintenance;

import io.keel.server.MemberCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keel.proto.etcdserverpb.AlarmMember;
import io.keel.proto.etcdserverpb.AlarmRequest;
import io.keel.proto.etcdserverpb.AlarmType;
import io.keel.proto.etcdserverpb.CompactionRequest;
import io.keel.proto.etcdserverpb.DefragmentRequest;
import io.keel.proto.etcdserverpb.DeleteRangeRequest;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.StatusRequest;
import io.keel.proto.etcdserverpb.TxnRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * etcd's backend quota and alarms on three in-JVM members: the member that would exceed --quota-backend-bytes
 * raises NOSPACE through Raft; then every member refuses writes that add data but serves reads, deletes,
 * compaction and defragment; disarm clears it; alarms survive a restart. Texts as etcd 3.4's.
 */
class AlarmQuotaTest {
  static final String NO_SPACE = "etcdserver: mvcc: database space exceeded";
  @TempDir Path dir;

  static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  static AlarmRequest alarm(AlarmRequest.AlarmAction action, long member, AlarmType type) {
    return AlarmRequest.newBuilder().setAction(action).setMemberID(member).setAlarm(type).build();
  }

  static void assertNoSpace(Runnable call) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(e.getStatus().getDescription()).isEqualTo(NO_SPACE);
    });
  }

  static RequestOp putOp(String k, ByteString v) {
    return RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(b(k)).setValue(v)).build();
  }

  @Test
  void exceedingTheQuotaRaisesNoSpaceClusterWide_untilDisarmed() throws Exception {
    try (MemberCluster c = MemberCluster.builder(dir, 3).quotaBytes(6L << 20).start()) {
      Random rnd = new Random(9);
      int writer = 1;
      StatusRuntimeException refused = null;
      for (int round = 0; round < 60 && refused == null; round++) {
        TxnRequest.Builder t = TxnRequest.newBuilder();
        for (int j = 0; j < 10; j++) {
          byte[] v = new byte[50_000];
          rnd.nextBytes(v);
          t.addSuccess(putOp("k" + round + "_" + j, ByteString.copyFrom(v)));
        }
        try {
          c.kv(writer).txn(t.build());
        } catch (StatusRuntimeException e) {
          refused = e;
        }
      }
      assertThat(refused).as("the quota is reached within 60 x 500 kB").isNotNull();
      assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(refused.getStatus().getDescription()).isEqualTo(NO_SPACE);

      // The alarm names the member that received the write, on every member, as etcd's alarm list does.
      AlarmMember expected = AlarmMember.newBuilder().setMemberID(c.memberId(writer)).setAlarm(AlarmType.NOSPACE)
          .build();
      for (int i = 0; i < 3; i++) {
        int m = i;
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(c.maintenance(m)
            .alarm(alarm(AlarmRequest.AlarmAction.GET, 0, AlarmType.NONE)).getAlarmsList()).containsExactly(expected));
      }
      assertThat(c.maintenance(2).status(StatusRequest.getDefaultInstance()).getErrorsList())
          .containsExactly("memberID:" + Long.toUnsignedString(c.memberId(writer)) + " alarm:NOSPACE ");

      // Every member refuses data; reads, deletes, delete-only txns, compaction and defrag are served.
      for (int i = 0; i < 3; i++) {
        int m = i;
        assertNoSpace(() -> c.kv(m).put(PutRequest.newBuilder().setKey(b("x")).setValue(b("y")).build()));
        assertNoSpace(() -> c.kv(m).txn(TxnRequest.newBuilder().addSuccess(putOp("x", b("y"))).build()));
      }
      assertThat(c.kv(2).range(RangeRequest.newBuilder().setKey(b("k0_0")).build()).getCount()).isEqualTo(1);
      c.kv(0).txn(TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder().setRequestDeleteRange(
          DeleteRangeRequest.newBuilder().setKey(b("k0_0")))).build());
      long rev = c.kv(2).deleteRange(DeleteRangeRequest.newBuilder().setKey(b("k")).setRangeEnd(b("l")).build())
          .getHeader().getRevision();
      c.kv(0).compact(CompactionRequest.newBuilder().setRevision(rev).build());
      for (int i = 0; i < 3; i++) {
        c.maintenance(i).defragment(DefragmentRequest.getDefaultInstance());
      }
      assertThat(c.maintenance(writer).status(StatusRequest.getDefaultInstance()).getDbSize()).isLessThan(1L << 20);

      // Disarm (as etcdctl alarm disarm: DEACTIVATE each listed alarm) answers with what it cleared. The puts
      // above may have raised other members' alarms too (each was over the quota when it received one).
      List<AlarmMember> listed = c.maintenance(0).alarm(alarm(AlarmRequest.AlarmAction.GET, 0, AlarmType.NONE))
          .getAlarmsList();
      assertThat(listed).contains(expected).allMatch(a -> a.getAlarm() == AlarmType.NOSPACE);
      for (AlarmMember a : listed) {
        assertThat(c.maintenance(0).alarm(alarm(AlarmRequest.AlarmAction.DEACTIVATE, a.getMemberID(), a.getAlarm()))
            .getAlarmsList()).containsExactly(a);
      }
      assertThat(c.maintenance(0).alarm(alarm(AlarmRequest.AlarmAction.DEACTIVATE, c.memberId(writer),
          AlarmType.NOSPACE)).getAlarmsList()).as("disarming again clears nothing").isEmpty();
      for (int i = 0; i < 3; i++) {
        int m = i;
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(c.maintenance(m)
            .status(StatusRequest.getDefaultInstance()).getErrorsList()).isEmpty());
      }
      assertThat(c.kv(2).put(PutRequest.newBuilder().setKey(b("x")).setValue(b("y")).build()).getHeader().getRevision())
          .isGreaterThan(rev);
    }
  }

  @Test
  void alarmsSurviveARestartAndActivateIsIdempotent() throws Exception {
    try (MemberCluster c = MemberCluster.builder(dir, 1).start()) {
      long id = c.memberId(0);
      AlarmMember expected = AlarmMember.newBuilder().setMemberID(id).setAlarm(AlarmType.NOSPACE).build();
      assertThat(c.maintenance(0).alarm(alarm(AlarmRequest.AlarmAction.ACTIVATE, id, AlarmType.NONE)).getAlarmsList())
          .isEmpty();
      for (int i = 0; i < 2; i++) {
        assertThat(c.maintenance(0).alarm(alarm(AlarmRequest.AlarmAction.ACTIVATE, id, AlarmType.NOSPACE))
            .getAlarmsList()).containsExactly(expected);
      }
      assertNoSpace(() -> c.kv(0).put(PutRequest.newBuilder().setKey(b("x")).setValue(b("y")).build()));
      c.stop(0);
      c.launch(0);
      c.awaitReady(0);
      assertThat(c.maintenance(0).alarm(alarm(AlarmRequest.AlarmAction.GET, 0, AlarmType.NOSPACE)).getAlarmsList())
          .containsExactly(expected);
      assertThat(c.maintenance(0).alarm(alarm(AlarmRequest.AlarmAction.GET, 0, AlarmType.CORRUPT)).getAlarmsList())
          .isEmpty();
      assertNoSpace(() -> c.kv(0).put(PutRequest.newBuilder().setKey(b("x")).setValue(b("y")).build()));
      c.maintenance(0).alarm(alarm(AlarmRequest.AlarmAction.DEACTIVATE, id, AlarmType.NOSPACE));
      c.kv(0).put(PutRequest.newBuilder().setKey(b("x")).setValue(b("y")).build());
      assertThat(List.of(c.kv(0).range(RangeRequest.newBuilder().setKey(b("x")).build()).getKvs(0).getValue()))
          .containsExactly(b("y"));
    }
  }
}
