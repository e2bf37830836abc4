package io.keel.chaos.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The shared invoke/complete pairing: pairs per process, leaves an open invocation unpaired, refuses bad order. */
class PairingTest {
  private static Pairing.Pairs pair(List<Op> ev) {
    return Pairing.pair(ev, Op::process, e -> e.type() == Op.Type.INVOKE, Op::isNemesis, (i, a, b) -> { });
  }

  @Test
  void pairsInterleavedProcessesAndLeavesOpenOnesUnpaired() {
    Op a = Op.invoke(0, "read", "k", null, null);
    Op b = Op.invoke(1, "write", "k", 1L, null);
    Op c = Op.invoke(2, "write", "k", 2L, null);
    Pairing.Pairs p = pair(List.of(a, b, new Op(Op.NEMESIS, Op.Type.INFO, "start-kill", null, null, null, null, 0,
        "kill n1"), b.complete(Op.Type.OK, 1L, null, null), c, a.complete(Op.Type.OK, 1L, null, null)));
    assertThat(p.invocations()).containsExactly(0, 1, 4);
    assertThat(p.completions()).containsExactly(5, 3, Pairing.NONE);
  }

  @Test
  void aSecondInvocationInFlightOrACompletionOfNothingIsRefused() {
    Op a = Op.invoke(0, "read", "k", null, null);
    assertThatThrownBy(() -> pair(List.of(a, a))).hasMessageContaining("still in flight");
    assertThatThrownBy(() -> pair(List.of(a.complete(Op.Type.OK, null, null, null))))
        .hasMessageContaining("invoked nothing");
  }
}
