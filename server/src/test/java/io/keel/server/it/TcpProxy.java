package io.keel.server.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A one-directional peer link for partition tests: listens on a free 127.0.0.1 port and forwards each TCP
 * connection to a target port, byte for byte. {@link #cut()} closes every open connection and makes new ones
 * close as soon as they are accepted (a real socket-level partition, no root needed); {@link #heal()}
 * forwards again. Bounded: at most {@link #MAX_CONNECTIONS} connections at once, beyond that new ones are
 * closed. Threads are daemons; {@link #close()} stops everything.
 */
public final class TcpProxy implements AutoCloseable {
  static final int MAX_CONNECTIONS = 32;
  private static final int BUFFER_BYTES = 64 * 1024;
  private static final int CONNECT_TIMEOUT_MS = 2000;

  private final String label;
  private final int targetPort;
  private final ServerSocket listener;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong forwardedBytes = new AtomicLong();
  private final AtomicLong refusedConnections = new AtomicLong();
  private volatile boolean cut;
  private volatile boolean closed;

  public TcpProxy(String label, int targetPort) {
    this.label = label;
    this.targetPort = targetPort;
    try {
      listener = new ServerSocket();
      listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open proxy " + label, e);
    }
    Thread acceptor = new Thread(this::acceptLoop, "proxy-" + label);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return listener.getLocalPort();
  }

  String url() {
    return "http://127.0.0.1:" + port();
  }

  /** Drops every open connection and refuses new ones until {@link #heal()}. */
  public void cut() {
    cut = true;
    open.forEach(TcpProxy::closeQuietly);
    open.clear();
  }

  public void heal() {
    cut = false;
  }

  boolean isCut() {
    return cut;
  }

  long forwardedBytes() {
    return forwardedBytes.get();
  }

  long refusedConnections() {
    return refusedConnections.get();
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(listener);
    open.forEach(TcpProxy::closeQuietly);
    open.clear();
  }

  @Override
  public String toString() {
    return "proxy " + label + " :" + port() + " -> :" + targetPort + (cut ? " (cut)" : "");
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return; // listener closed
      }
      if (cut || closed || open.size() >= 2 * MAX_CONNECTIONS) {
        refusedConnections.incrementAndGet();
        closeQuietly(client);
        continue;
      }
      Socket server = new Socket();
      try {
        server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), CONNECT_TIMEOUT_MS);
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(server);
        continue; // target down: the peer sees a dropped connection, as without the proxy
      }
      open.add(client);
      open.add(server);
      if (cut) { // cut() ran while we connected
        open.remove(client);
        open.remove(server);
        closeQuietly(client);
        closeQuietly(server);
        continue;
      }
      pump(client, server, "up");
      pump(server, client, "down");
    }
  }

  private void pump(Socket from, Socket to, String direction) {
    Thread thread = new Thread(() -> {
      byte[] buffer = new byte[BUFFER_BYTES];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          if (cut) {
            break;
          }
          forwardedBytes.addAndGet(n); // counted before the write, so a reader who got them sees the count
          out.write(buffer, 0, n);
        }
      } catch (SocketException e) {
        // closed by cut(), close() or the other side
      } catch (IOException e) {
        // same: the connection is gone
      } finally {
        open.remove(from);
        open.remove(to);
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "proxy-" + label + "-" + direction);
    thread.setDaemon(true);
    thread.start();
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // best effort
    }
  }
}
