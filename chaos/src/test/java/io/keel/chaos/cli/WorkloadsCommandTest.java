package io.keel.chaos.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.chaos.checker.watch.WatchEvent;
import io.keel.chaos.checker.watch.WatchLogEntry;
import io.keel.chaos.checker.watch.WatchWrite;
import io.keel.chaos.history.JsonLines;
import io.keel.chaos.history.Op;
import io.keel.chaos.workload.RunOptions;
import io.keel.chaos.workload.Workload;
import io.keel.chaos.workload.Workloads;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workload wiring without Docker: {@code all} builds every workload once, unknown names are refused, and
 * {@code --check-history} re-checks a saved watch directory (exit 0 valid, 1 anomaly).
 */
class WorkloadsCommandTest {
  @TempDir
  Path tmp;

  private RunOptions options() {
    return new RunOptions("img", 3, List.of("partition"), 60_000, 10, 1_000, 5_000, 8_000, 3, Set.of(), tmp);
  }

  @Test
  void allIsEveryWorkloadOnce() {
    List<Workload> ws = Workloads.create("all", options(), System.nanoTime());
    assertThat(ws).extracting(Workload::name).containsExactlyElementsOf(Workloads.NAMES)
        .contains("register", "list-append", "set", "watch", "lease");
    assertThat(ChaosCommand.WORKLOADS).containsAll(Workloads.NAMES).contains("all");
    assertThatThrownBy(() -> Workloads.create("meteor", options(), 0)).hasMessageContaining("unknown workload");
  }

  private int recheck(Path dir, StringBuilder out) throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    Integer code = Recheck.run("watch", dir, new PrintStream(buf, true, StandardCharsets.UTF_8));
    out.append(buf.toString(StandardCharsets.UTF_8));
    return code;
  }

  @Test
  void aSavedWatchRunIsRechecked() throws Exception {
    WatchWrite w = WatchWrite.invoke(0, "put", List.of("k"), 7);
    JsonLines.save(tmp.resolve("writes.jsonl"), List.of(w.at(1), w.complete(Op.Type.OK, 4, null).at(2)));
    WatchLogEntry start = new WatchLogEntry(0, "start", 0, 4, null, null);
    JsonLines.save(tmp.resolve("watch.jsonl"), List.of(start,
        new WatchLogEntry(0, "events", 3, 4, List.of(WatchEvent.put("k", 4, 7)), null)));
    StringBuilder out = new StringBuilder();
    assertThat(recheck(tmp, out)).as(out.toString()).isZero();

    JsonLines.save(tmp.resolve("watch.jsonl"), List.of(start, new WatchLogEntry(0, "progress", 3, 5, null, null)));
    out.setLength(0);
    assertThat(recheck(tmp, out)).isEqualTo(1);
    assertThat(out).contains("watcher 0 missed revision 4");
  }
}
