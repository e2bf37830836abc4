package io.keel.server.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the real {@code etcdctl} (v3 API; {@code /usr/bin/etcdctl} or system property {@code keel.it.etcdctl})
 * against one endpoint and captures exit code, stdout and stderr. The environment is reduced to PATH, HOME
 * and {@code ETCDCTL_API=3} so no inherited ETCDCTL_* or proxy variable changes its behaviour.
 */
public final class Etcdctl {
  /** etcdctl's own timeouts; the process-level bound below is larger so etcdctl reports them itself. */
  static final String DIAL_TIMEOUT = "2s";
  static final String COMMAND_TIMEOUT = "5s";
  private static final Duration PROCESS_TIMEOUT = Duration.ofSeconds(20);
  private static final int MAX_OUTPUT_BYTES = 4 << 20;
  /** Own daemon threads: the common pool may have a single thread on 2 cores, and these three block. */
  private static final ExecutorService IO = Executors.newCachedThreadPool(runnable -> {
    Thread thread = new Thread(runnable, "etcdctl-io");
    thread.setDaemon(true);
    return thread;
  });

  /** What one etcdctl invocation did. {@code exitCode} is -1 if it had to be killed after the timeout. */
  public record Result(int exitCode, String stdout, String stderr) {
  }

  private final Path binary;
  private final String endpoint;

  public Etcdctl(String endpoint) {
    this.endpoint = endpoint;
    this.binary = Path.of(System.getProperty("keel.it.etcdctl", "/usr/bin/etcdctl"));
    if (!Files.isExecutable(binary)) {
      throw new IllegalStateException("etcdctl not found or not executable: " + binary
          + " (install Debian package etcd-client or set -Dkeel.it.etcdctl=PATH)");
    }
  }

  /** The global flags put before every command. */
  public List<String> globalFlags() {
    return List.of("--endpoints=" + endpoint, "--dial-timeout=" + DIAL_TIMEOUT,
        "--command-timeout=" + COMMAND_TIMEOUT);
  }

  /** A process builder for {@code etcdctl <global flags> args...} with a minimal, fixed environment. */
  public ProcessBuilder processBuilder(List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(globalFlags());
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command);
    Map<String, String> env = builder.environment();
    String path = env.getOrDefault("PATH", "/usr/bin:/bin");
    String home = env.getOrDefault("HOME", "/tmp");
    env.clear();
    env.put("PATH", path);
    env.put("HOME", home);
    env.put("ETCDCTL_API", "3");
    return builder;
  }

  /** Runs {@code etcdctl <global flags> args...} with {@code stdin} (may be empty) and waits, bounded. */
  public Result run(List<String> args, byte[] stdin) {
    ProcessBuilder builder = processBuilder(args);
    List<String> command = builder.command();
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    }
    CompletableFuture<byte[]> out =
        CompletableFuture.supplyAsync(() -> readBounded(process.getInputStream()), IO);
    CompletableFuture<byte[]> err =
        CompletableFuture.supplyAsync(() -> readBounded(process.getErrorStream()), IO);
    CompletableFuture<Void> in =
        CompletableFuture.runAsync(() -> writeAndClose(process.getOutputStream(), stdin), IO);
    try {
      if (!process.waitFor(PROCESS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        return new Result(-1, text(out, process), "TIMEOUT: etcdctl did not exit within " + PROCESS_TIMEOUT
            + "\n" + text(err, process));
      }
      in.get(5, TimeUnit.SECONDS);
      return new Result(process.exitValue(), text(out, process), text(err, process));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new AssertionError("interrupted while running etcdctl " + args, e);
    } catch (ExecutionException | TimeoutException e) {
      process.destroyForcibly();
      throw new AssertionError("etcdctl " + args + ": stdin/stdout handling failed", e);
    }
  }

  private static String text(CompletableFuture<byte[]> future, Process process) {
    try {
      return new String(future.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new AssertionError("interrupted while reading etcdctl output", e);
    } catch (ExecutionException | TimeoutException e) {
      process.destroyForcibly();
      throw new AssertionError("cannot read etcdctl output", e);
    }
  }

  private static byte[] readBounded(InputStream stream) {
    try (stream) {
      byte[] bytes = stream.readNBytes(MAX_OUTPUT_BYTES);
      stream.transferTo(OutputStream.nullOutputStream());
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeAndClose(OutputStream stream, byte[] bytes) {
    try (stream) {
      stream.write(bytes);
    } catch (IOException e) {
      // etcdctl may exit without reading all of stdin (e.g. on a usage error); its output tells why
    }
  }
}
