package io.keel.server.it;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Keel issue 5 acceptance, etcdctl part: long-running {@code etcdctl watch} processes ({@code --rev},
 * {@code --prefix}, {@code --prev-kv}, a key range, JSON output, a compacted start revision, and
 * {@code watch -i} fed {@code watch k} then {@code progress} on stdin) observe one fixed sequence of
 * puts/deletes/txns, and print the same thing on Keel as on real etcd 3.4. Outputs are masked by
 * {@link TranscriptMasker} (ids, terms); revisions are compared as they are. Every wait is bounded and
 * every watcher process is killed at the end. Masked outputs go to target/it-logs/watch-compat-*.txt.
 */
class WatchCompatIT {
  private static final Path OUT_DIR = Path.of("target", "it-logs");
  /** etcdctl connects and creates its watch within milliseconds; generous for a loaded 2-core machine. */
  private static final Duration WATCH_SETTLE = Duration.ofSeconds(3);
  private static final Duration QUIET = Duration.ofMillis(1500);
  private static final Duration MAX_WAIT = Duration.ofSeconds(20);
  private static final int MAX_OUTPUT_BYTES = 1 << 20;

  @Test
  void etcdctlWatchersSeeTheSameEventsOnKeelAsOnRealEtcd() throws Exception {
    ServerFlags config = ServerFlags.named("wcompat");
    String reference;
    try (EtcdProcess etcd = EtcdProcess.started(config)) {
      reference = runScenario(etcd);
      etcd.stop();
    }
    Path referenceFile = write("watch-compat-etcd.txt", reference);
    assertThat(reference).as("sanity of the scenario on real etcd: " + referenceFile.toAbsolutePath())
        .contains("progress notify: 12")
        .contains("required revision has been compacted");

    String candidate;
    try (KeelProcess keel = KeelProcess.started(config)) {
      candidate = runScenario(keel);
      keel.stop();
    }
    Path candidateFile = write("watch-compat-keel.txt", candidate);
    if (!reference.equals(candidate)) {
      fail("etcd vs keel:\n" + String.join("\n", LineDiff.diff(reference.lines().toList(),
          candidate.lines().toList()))
          + "\nFull masked outputs: " + referenceFile.toAbsolutePath() + " and "
          + candidateFile.toAbsolutePath());
    }
  }

  /** Runs the fixed scenario against one fresh server; returns every watcher's masked output. */
  private static String runScenario(ServerProcess server) throws Exception {
    Etcdctl ctl = new Etcdctl(server.clientEndpoint());
    TranscriptMasker masker = TranscriptMasker.forServer(server);
    // revisions: w/a=2, w/b=3, x=4, then compact at 3 (the compacted watcher asks for 2)
    must(ctl, List.of("put", "w/a", "1"));
    must(ctl, List.of("put", "w/b", "1"));
    must(ctl, List.of("put", "x", "1"));
    must(ctl, List.of("compact", "3"));

    Map<String, Watcher> watchers = new LinkedHashMap<>();
    try {
      watchers.put("history prefix --rev 3", Watcher.start(ctl, List.of("watch", "--rev", "3", "--prefix", "w/")));
      watchers.put("live prefix", Watcher.start(ctl, List.of("watch", "--prefix", "w/")));
      watchers.put("prev-kv key", Watcher.start(ctl, List.of("watch", "--prev-kv", "w/a")));
      watchers.put("range [w/b, w/d)", Watcher.start(ctl, List.of("watch", "w/b", "w/d")));
      watchers.put("json prefix --rev 4 --prev-kv",
          Watcher.start(ctl, List.of("watch", "-w", "json", "--rev", "4", "--prefix", "--prev-kv", "w/")));
      watchers.put("compacted --rev 2", Watcher.start(ctl, List.of("watch", "--rev", "2", "w/a")));
      Watcher interactive = Watcher.start(ctl, List.of("watch", "-i"));
      watchers.put("interactive", interactive);
      interactive.send("watch w/a\n");
      Thread.sleep(WATCH_SETTLE.toMillis());

      must(ctl, List.of("put", "w/a", "2"));                    // 5
      must(ctl, List.of("put", "w/c", "3"));                    // 6
      must(ctl, List.of("del", "w/b"));                         // 7
      must(ctl, List.of("put", "w/b", "again"));                // 8
      Etcdctl.Result txn = ctl.run(List.of("txn"), ("value(\"w/a\") = \"2\"\n\nput w/a 3\nput w/d 4\n\n"
          + "put w/a failed\n\n").getBytes(StandardCharsets.UTF_8));  // 9 (one revision for the txn)
      assertThat(txn.stdout()).as("txn: " + txn).startsWith("SUCCESS");
      must(ctl, List.of("put", "x", "2"));                      // 10: outside every watched range
      must(ctl, List.of("del", "--prefix", "w/"));              // 11: four deletes in one revision
      must(ctl, List.of("put", "w/a", "last"));                 // 12
      awaitQuiet(watchers.values());
      interactive.send("progress\n");
      awaitQuiet(watchers.values());
      interactive.closeStdin();

      StringBuilder out = new StringBuilder();
      for (Map.Entry<String, Watcher> entry : watchers.entrySet()) {
        Watcher watcher = entry.getValue();
        boolean exitsByItself = watcher == interactive || entry.getKey().startsWith("compacted");
        String exit = exitsByItself ? "exit " + watcher.awaitExit(MAX_WAIT) : "(stopped by the test)";
        out.append("=== ").append(entry.getKey()).append(' ').append(exit).append('\n')
            .append("--- stdout\n").append(masker.mask(watcher.stdout()))
            .append("--- stderr\n").append(masker.mask(watcher.stderr()));
      }
      return out.toString();
    } finally {
      for (Watcher watcher : watchers.values()) {
        watcher.kill();
      }
    }
  }

  private static void must(Etcdctl ctl, List<String> args) {
    Etcdctl.Result result = ctl.run(args, new byte[0]);
    assertThat(result.exitCode()).as("etcdctl " + args + ": " + result).isZero();
  }

  /** Waits until no watcher printed anything for {@link #QUIET}, at most {@link #MAX_WAIT}. */
  private static void awaitQuiet(Iterable<Watcher> watchers) throws InterruptedException {
    long deadline = System.nanoTime() + MAX_WAIT.toNanos();
    long lastSize = -1;
    long quietSince = System.nanoTime();
    while (System.nanoTime() < deadline) {
      long size = 0;
      for (Watcher w : watchers) {
        size += w.outputSize();
      }
      if (size != lastSize) {
        lastSize = size;
        quietSince = System.nanoTime();
      } else if (System.nanoTime() - quietSince >= QUIET.toNanos()) {
        return;
      }
      Thread.sleep(100);
    }
  }

  private static Path write(String name, String text) throws IOException {
    Files.createDirectories(OUT_DIR);
    Path file = OUT_DIR.resolve(name);
    Files.writeString(file, text);
    return file;
  }

  /** One background etcdctl process whose stdout/stderr are collected (bounded) by daemon threads. */
  private static final class Watcher {
    private final Process process;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final Thread outReader;
    private final Thread errReader;

    private Watcher(Process process) {
      this.process = process;
      this.outReader = pump(process.getInputStream(), stdout);
      this.errReader = pump(process.getErrorStream(), stderr);
    }

    static Watcher start(Etcdctl ctl, List<String> args) {
      ProcessBuilder builder = ctl.processBuilder(args);
      try {
        return new Watcher(builder.start());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot run " + builder.command(), e);
      }
    }

    private static Thread pump(InputStream in, ByteArrayOutputStream sink) {
      Thread thread = new Thread(() -> {
        byte[] buffer = new byte[8192];
        try (in) {
          int n;
          while ((n = in.read(buffer)) >= 0) {
            synchronized (sink) {
              if (sink.size() + n <= MAX_OUTPUT_BYTES) {
                sink.write(buffer, 0, n);
              }
            }
          }
        } catch (IOException ignored) {
          // the process was killed; what was read so far is kept
        }
      }, "etcdctl-watch-pump");
      thread.setDaemon(true);
      thread.start();
      return thread;
    }

    void send(String line) throws IOException {
      OutputStream in = process.getOutputStream();
      in.write(line.getBytes(StandardCharsets.UTF_8));
      in.flush();
    }

    void closeStdin() throws IOException {
      process.getOutputStream().close();
    }

    long outputSize() {
      synchronized (stdout) {
        synchronized (stderr) {
          return stdout.size() + stderr.size();
        }
      }
    }

    /** The exit code, or -1 if the process did not exit within {@code timeout} (it is then killed). */
    int awaitExit(Duration timeout) throws InterruptedException {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        kill();
        return -1;
      }
      outReader.join(5_000);
      errReader.join(5_000);
      return process.exitValue();
    }

    String stdout() {
      synchronized (stdout) {
        return stdout.toString(StandardCharsets.UTF_8);
      }
    }

    String stderr() {
      synchronized (stderr) {
        return stderr.toString(StandardCharsets.UTF_8);
      }
    }

    void kill() {
      process.destroyForcibly();
      try {
        process.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
