package io.keel.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Loopback ports for in-JVM members. Taken below the kernel's ephemeral range (32768-60999 on Linux): a port the
 * kernel handed out for {@code bind(0)} and that was closed again may be given to the next outgoing connection
 * (a peer dialling another member, a client, Docker's proxy) before the member binds it — "Address already in
 * use" in CI. Ports here are handed out once per JVM, in order from a random start, and checked to be bindable.
 */
public final class TestPorts {
  private static final int LOW = 20_000;
  private static final int HIGH = 32_000;
  private static final AtomicInteger NEXT = new AtomicInteger(LOW + ThreadLocalRandom.current().nextInt(HIGH - LOW));

  private TestPorts() {}

  /** A loopback port that was free a moment ago and that this JVM has not handed out before. */
  public static int free() throws IOException {
    for (int attempt = 0; attempt < HIGH - LOW; attempt++) {
      int port = LOW + Math.floorMod(NEXT.getAndIncrement() - LOW, HIGH - LOW);
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return s.getLocalPort();
      } catch (IOException busy) {
        // taken: try the next one
      }
    }
    throw new IOException("no free loopback port in [" + LOW + ", " + HIGH + ")");
  }
}
