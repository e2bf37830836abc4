package io.keel.chaos.checker;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.chaos.history.History;
import io.keel.chaos.history.Op;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The set checker finds lost, unexpected and duplicated elements and tolerates unknown adds. */
class SetCheckerTest {
  private static History history(List<Long> okAdds, List<Long> unknownAdds, List<Long> finalRead) {
    List<Op> ev = new ArrayList<>();
    int p = 0;
    for (long v : okAdds) {
      Op a = Op.invoke(p++, "add", "s", v, null);
      ev.add(a);
      ev.add(a.complete(Op.Type.OK, v, null, null));
    }
    for (long v : unknownAdds) {
      Op a = Op.invoke(p++, "add", "s", v, null);
      ev.add(a);
      ev.add(a.complete(Op.Type.INFO, null, null, "timeout"));
    }
    Op r = Op.invoke(p, "read", "s", null, null);
    ev.add(r);
    ev.add(r.complete(Op.Type.OK, null, finalRead, null));
    return new History(ev);
  }

  @Test
  void validWhenEveryAcknowledgedAddIsRead() {
    SetChecker.Result r = SetChecker.check(history(List.of(1L, 2L), List.of(3L, 4L), List.of(1L, 2L, 4L)));
    assertThat(r.verdict()).isEqualTo(Verdict.VALID);
    assertThat(r.unknownPresent()).isEqualTo(1);
  }

  @Test
  void anomaliesAreNamed() {
    SetChecker.Result r = SetChecker.check(history(List.of(1L, 2L, 3L), List.of(), List.of(1L, 3L, 3L, 9L)));
    assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
    assertThat(r.lost()).containsExactly(2L);
    assertThat(r.unexpected()).containsExactly(9L);
    assertThat(r.duplicated()).containsExactly(3L);
  }

  @Test
  void anElementWhoseAddFailedMustNotBePresent() {
    List<Op> ev = new ArrayList<>();
    Op a = Op.invoke(0, "add", "s", 1L, null);
    ev.add(a);
    ev.add(a.complete(Op.Type.FAIL, 1L, null, "already present"));
    Op r = Op.invoke(1, "read", "s", null, null);
    ev.add(r);
    ev.add(r.complete(Op.Type.OK, null, List.of(1L), null));
    SetChecker.Result res = SetChecker.check(new History(ev));
    assertThat(res.verdict()).isEqualTo(Verdict.INVALID);
    assertThat(res.failedPresent()).containsExactly(1L);
    assertThat(res.anomalies()).isEqualTo(1);
  }

  @Test
  void noFinalReadIsUnknown() {
    List<Op> ev = new ArrayList<>();
    Op a = Op.invoke(0, "add", "s", 1L, null);
    ev.add(a);
    ev.add(a.complete(Op.Type.OK, 1L, null, null));
    assertThat(SetChecker.check(new History(ev)).verdict()).isEqualTo(Verdict.UNKNOWN);
  }
}
