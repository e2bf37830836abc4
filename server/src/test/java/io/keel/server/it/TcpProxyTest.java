package io.keel.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/** The partition proxy on real loopback sockets: forwards both ways, cut drops and refuses, heal restores. */
class TcpProxyTest {

  @Test
  void forwardsCutsAndHeals() throws Exception {
    try (ServerSocket echo = new ServerSocket()) {
      echo.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      Thread server = new Thread(() -> echoLoop(echo), "echo");
      server.setDaemon(true);
      server.start();
      try (TcpProxy proxy = new TcpProxy("test", echo.getLocalPort())) {
        try (Socket s = connect(proxy)) {
          assertThat(roundTrip(s, "hello")).isEqualTo("hello");
          proxy.cut();
          assertThat(proxy.isCut()).isTrue();
          assertThatThrownBy(() -> {
            for (int i = 0; i < 50; i++) { // the first writes may still land in the local send buffer
              roundTrip(s, "lost");
            }
          }).isInstanceOf(IOException.class);
        }
        try (Socket refused = connect(proxy)) {
          assertThat(refused.getInputStream().read()).as("a new connection is closed at once").isEqualTo(-1);
        }
        assertThat(proxy.refusedConnections()).isGreaterThanOrEqualTo(1);
        proxy.heal();
        try (Socket s = connect(proxy)) {
          assertThat(roundTrip(s, "again")).isEqualTo("again");
        }
        assertThat(proxy.forwardedBytes()).isGreaterThanOrEqualTo(2L * ("hello".length() + "again".length()));
      }
    }
  }

  private static Socket connect(TcpProxy proxy) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port()), 2000);
    s.setSoTimeout(5000);
    return s;
  }

  private static String roundTrip(Socket s, String text) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes());
    out.flush();
    byte[] back = s.getInputStream().readNBytes(text.length());
    if (back.length < text.length()) {
      throw new IOException("connection closed after " + back.length + " bytes");
    }
    return new String(back);
  }

  private static void echoLoop(ServerSocket echo) {
    while (!echo.isClosed()) {
      try {
        Socket s = echo.accept();
        Thread t = new Thread(() -> {
          try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            in.transferTo(out);
          } catch (IOException ignored) {
            // closed by the proxy
          }
        }, "echo-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }
}
