package io.keel.chaos.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The recorder is bounded and always keeps room for the completions of invocations it accepted. */
class RecorderTest {
  @Test
  void boundedWithRoomForCompletions() {
    Recorder r = new Recorder(5);
    Op a = Op.invoke(0, "read", "k", null, null);
    Op b = Op.invoke(1, "read", "k", null, null);
    Op c = Op.invoke(2, "read", "k", null, null);
    assertThat(r.invoke(a)).isTrue();
    assertThat(r.invoke(b)).isTrue();
    assertThat(r.invoke(c)).isFalse(); // 2 events + 2 reserved completions + 2 > 5
    r.complete(a.complete(Op.Type.OK, null, null, null));
    r.complete(b.complete(Op.Type.FAIL, null, null, "x"));
    assertThat(r.size()).isEqualTo(4);
    assertThat(r.history().operations()).hasSize(2);
    assertThatThrownBy(() -> r.complete(a.complete(Op.Type.OK, null, null, null)))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void badValuesAreRefused() {
    assertThatThrownBy(() -> Op.invoke(0, "write", "k", -3L, null)).hasMessageContaining("non-negative");
    assertThatThrownBy(() -> new Recorder(0)).hasMessageContaining("maxEvents");
  }
}
