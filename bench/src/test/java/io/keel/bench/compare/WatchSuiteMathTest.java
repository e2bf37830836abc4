package io.keel.bench.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class WatchSuiteMathTest {

  @Test
  void parsesVmRssInKibibytes() {
    String status = "Name:\tjava\nVmPeak:\t  999 kB\nVmRSS:\t  123456 kB\nThreads:\t42\n";
    assertThat(MemoryProbe.parseVmRssBytes(status)).isEqualTo(123456L * 1024);
    assertThatThrownBy(() -> MemoryProbe.parseVmRssBytes("Name:\tx\n")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MemoryProbe.parseVmRssBytes("VmRSS:\t12 MB\n"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void parsesUsedHeapFromGcHeapInfo() {
    String info = "12345:\n garbage-first heap   total 262144K, used 45678K [0x00000000f0000000, 0x0000000100000000)\n"
        + "  region size 1024K, 20 young (20480K), 0 survivors (0K)\n Metaspace       used 30000K, committed 30500K\n";
    assertThat(MemoryProbe.parseHeapUsedBytes(info)).isEqualTo(45678L * 1024);
    assertThatThrownBy(() -> MemoryProbe.parseHeapUsedBytes("no heap")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void readsThisProcessRss() throws IOException {
    assertThat(MemoryProbe.rssBytes(ProcessHandle.current().pid())).isGreaterThan(1L << 20);
  }

  @Test
  void putClientsAllowTenMillisecondsPerRequestWithinBounds() {
    assertThat(WatchSuite.putClients(1000)).isEqualTo(16);
    assertThat(WatchSuite.putClients(10_000)).isEqualTo(100);
    assertThat(WatchSuite.putClients(100_000)).isEqualTo(256);
  }

  @Test
  void txnWritesDivideTheRequestRateAndAreBounded() {
    CompareRunner.Settings settings = new CompareRunner.Settings(java.util.List.of("keel"), 1,
        java.nio.file.Path.of("target"), java.nio.file.Path.of("x.jar"), java.util.List.of(),
        java.nio.file.Path.of("etcd"), 1000, 5, 1, 1000, 0);
    WatchSuite suite = new WatchSuite(settings, 10_000, 10, System.out);
    assertThat(suite.requestRate()).isEqualTo(1000.0);
    assertThat(suite.putsPerTxn()).isEqualTo(10);
    assertThatThrownBy(() -> new WatchSuite(settings, 10_000, 0, System.out))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new WatchSuite(settings, 10_000, 129, System.out))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void bytesPerWatcherIsTheDeltaOverTheCount() {
    assertThat(MemoryProbe.bytesPerWatcher(1_000_000, 36_000_000, 100_000)).isEqualTo(350.0);
    assertThat(MemoryProbe.bytesPerWatcher(2_000, 1_000, 10)).isEqualTo(-100.0);
    assertThatThrownBy(() -> MemoryProbe.bytesPerWatcher(0, 1, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void ratiosAreKeelOverEtcdAndNaNWhenUndefined() {
    assertThat(WatchReport.ratio(200, 400)).isEqualTo(0.5);
    assertThat(WatchReport.ratio(1, 0)).isNaN();
    assertThat(WatchReport.ratio(Double.NaN, 1)).isNaN();
    assertThat(WatchReport.fmt(Double.NaN)).isEqualTo("n/a");
  }
}
