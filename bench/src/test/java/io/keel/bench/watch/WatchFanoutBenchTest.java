package io.keel.bench.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WatchFanoutBenchTest {

  @Test
  void keyCountIsTheInverseOfTheMatchFractionClampedToTheWatchers() {
    assertThat(WatchFanoutBench.keyCount(1000, 0.001)).isEqualTo(1000);
    assertThat(WatchFanoutBench.keyCount(1000, 0.1)).isEqualTo(10);
    assertThat(WatchFanoutBench.keyCount(1000, 1.0)).isEqualTo(1);
    assertThat(WatchFanoutBench.keyCount(10, 0.001)).isEqualTo(10);
    assertThatThrownBy(() -> WatchFanoutBench.keyCount(10, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WatchFanoutBench.keyCount(0, 0.5)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void watchersOnKeysSumToAllWatchers() {
    for (int watchers : new int[] {1, 7, 1000, 100_003}) {
      for (int keys : new int[] {1, 3, 10, 1000}) {
        if (keys > watchers) {
          continue;
        }
        long sum = 0;
        for (int k = 0; k < keys; k++) {
          long n = WatchFanoutBench.watchersOnKey(watchers, keys, k);
          assertThat(n).isBetween((long) watchers / keys, (long) watchers / keys + 1);
          sum += n;
        }
        assertThat(sum).isEqualTo(watchers);
      }
    }
  }
}
