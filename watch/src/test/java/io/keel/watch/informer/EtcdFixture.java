package io.keel.watch.informer;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.RangeRequest;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real single-member etcd ({@code /usr/bin/etcd}, or {@code -Dkeel.it.etcd=PATH}) on free loopback
 * ports with a temp data dir, for informer tests. {@link #restart} keeps the data dir and ports.
 */
final class EtcdFixture implements AutoCloseable {
  private final Path binary = Path.of(System.getProperty("keel.it.etcd", "/usr/bin/etcd"));
  private final Path dir;
  private final int clientPort;
  private final int peerPort;
  private Process process;

  EtcdFixture() {
    if (!Files.isExecutable(binary)) {
      throw new IllegalStateException("etcd not found at " + binary + " (install etcd-server or set -Dkeel.it.etcd)");
    }
    try {
      dir = Files.createTempDirectory("keel-informer-etcd");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int[] ports = freePorts();
    clientPort = ports[0];
    peerPort = ports[1];
  }

  static EtcdFixture started() {
    EtcdFixture f = new EtcdFixture();
    try {
      f.start();
      return f;
    } catch (RuntimeException e) {
      f.close();
      throw e;
    }
  }

  int clientPort() {
    return clientPort;
  }

  ManagedChannel channel() {
    return channel(clientPort);
  }

  static ManagedChannel channel(int port) {
    return ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  void start() {
    String client = "http://127.0.0.1:" + clientPort;
    String peer = "http://127.0.0.1:" + peerPort;
    ProcessBuilder pb = new ProcessBuilder(List.of(binary.toString(), "--name", "informer-test",
        "--data-dir", dir.resolve("data").toString(),
        "--listen-client-urls", client, "--advertise-client-urls", client,
        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
        "--initial-cluster", "informer-test=" + peer));
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(new File(dir.toFile(), "etcd.log")));
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    awaitReady();
  }

  private void awaitReady() {
    ManagedChannel ch = channel();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        try {
          KVGrpc.newBlockingStub(ch).withDeadlineAfter(1, TimeUnit.SECONDS)
              .range(RangeRequest.newBuilder().setKey(com.google.protobuf.ByteString.copyFromUtf8("x")).build());
          return;
        } catch (RuntimeException e) {
          if (!process.isAlive()) {
            throw new IllegalStateException("etcd exited with " + process.exitValue() + "; see " + dir.resolve("etcd.log"));
          }
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("etcd not ready in 30 s; see " + dir.resolve("etcd.log"), e);
          }
          sleep(100);
        }
      }
    } finally {
      ch.shutdownNow();
    }
  }

  /** Stops etcd (SIGTERM, then SIGKILL after 10 s). */
  void stop() {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  void restart() {
    stop();
    start();
  }

  @Override
  public void close() {
    stop();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // temp dir; best effort
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int[] freePorts() {
    try (ServerSocket a = new ServerSocket(); ServerSocket b = new ServerSocket()) {
      a.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      b.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return new int[] {a.getLocalPort(), b.getLocalPort()};
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
