package io.keel.chaos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.chaos.checker.Verdict;
import io.keel.chaos.checker.txn.ListAppendChecker;
import io.keel.chaos.checker.txn.MicroOp;
import io.keel.chaos.checker.txn.TxnCheckResult;
import io.keel.chaos.checker.txn.TxnHistory;
import io.keel.chaos.checker.txn.TxnOp;
import io.keel.chaos.history.Op;
import io.keel.chaos.report.TxnReport;
import io.keel.chaos.workload.RunOptions;
import io.keel.chaos.workload.WorkloadReport;
import io.keel.chaos.workload.listappend.ListAppendRun;
import io.keel.chaos.workload.listappend.ListAppendWorkload;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The {@code --workload list-append} wiring without Docker: the workload is accepted, a saved txn history is
 * checked by ListAppendChecker, its anomalies are rendered in the text and HTML reports, and the exit code
 * follows the verdict (0 valid, 1 anomaly).
 */
class ListAppendCommandTest {
  @TempDir
  Path tmp;

  /** Two sequential txns: p0 appends {@code appended} to x, then p1 reads x and sees {@code seen}. */
  private static TxnHistory appendThenRead(long appended, List<Long> seen) {
    List<TxnOp> ev = new ArrayList<>();
    TxnOp a = TxnOp.invoke(0, List.of(MicroOp.append("x", appended)));
    ev.add(a.at(1));
    ev.add(a.complete(Op.Type.OK, List.of(MicroOp.append("x", appended)), null).at(2));
    TxnOp r = TxnOp.invoke(1, List.of(MicroOp.read("x")));
    ev.add(r.at(3));
    ev.add(r.complete(Op.Type.OK, List.of(MicroOp.read("x", seen)), null).at(4));
    return new TxnHistory(ev);
  }

  private static int run(StringBuilder out, String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      CommandLine cl = new CommandLine(new ChaosCommand());
      cl.setErr(new java.io.PrintWriter(new java.io.StringWriter()));
      return cl.execute(args);
    } finally {
      System.setOut(old);
      out.append(buf.toString(StandardCharsets.UTF_8));
    }
  }

  @Test
  void validHistoryExitsZero() throws Exception {
    Path f = tmp.resolve("ok.jsonl");
    appendThenRead(1, List.of(1L)).save(f);
    StringBuilder out = new StringBuilder();
    assertThat(run(out, "--workload", "list-append", "--check-history", f.toString())).isZero();
    assertThat(out).contains("verdict: VALID").contains("txns checked: 2").contains("anomalies: 0");
  }

  @Test
  void anomalyIsRenderedAndExitsOne() throws Exception {
    Path f = tmp.resolve("bad.jsonl");
    appendThenRead(1, List.of(1L, 7L)).save(f); // 7 was never appended
    StringBuilder out = new StringBuilder();
    assertThat(run(out, "--workload", "list-append", "--check-history", f.toString())).isEqualTo(1);
    TxnCheckResult r = ListAppendChecker.check(TxnHistory.load(f));
    assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
    assertThat(out).contains("verdict: INVALID").contains(r.anomalies().get(0).describe());

    TxnReport rep = new TxnReport("t <&>", r, Map.of("txns/s", "1.0"),
        List.of(new Op(Op.NEMESIS, Op.Type.INFO, "start-kill", null, null, null, null, 5, "kill n1")));
    assertThat(rep.html()).contains("t &lt;&amp;&gt;").contains(r.anomalies().get(0).type())
        .contains("kill n1").contains("class=\"INVALID\"");
    assertThat(rep.summary()).containsEntry("faults injected", "1").containsEntry("txns/s", "1.0");
  }

  @Test
  void unknownWorkloadIsRejected() {
    StringBuilder out = new StringBuilder();
    assertThat(run(out, "--workload", "meteor")).isNotZero();
  }

  @Test
  void runOptionsMapToBoundedWorkloadOptions() {
    RunOptions o = new RunOptions("img", 3, List.of("partition", "kill"), 60_000, 10, 1_000, 5_000, 8_000, 3,
        Set.of(), tmp);
    ListAppendWorkload.Options w = ListAppendRun.workloadOptions(o);
    assertThat(w.threads()).isEqualTo(10);
    assertThat(w.timeLimitMs()).isEqualTo(60_000);
    assertThat(w.requestTimeoutMs()).isEqualTo(1_000);
    assertThat(w.unsafeSkipCompare()).isFalse();
    assertThat(WorkloadReport.exitCode(Verdict.UNKNOWN)).isEqualTo(2);
  }
}
