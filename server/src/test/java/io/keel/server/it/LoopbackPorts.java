package io.keel.server.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Picks currently free TCP ports on 127.0.0.1 for test servers. The ports are free when returned, not
 * reserved: another process may grab one before the server binds, so fixtures retry a start that fails
 * with "address already in use".
 */
final class LoopbackPorts {
    private LoopbackPorts() {
    }

    /** Returns {@code count} distinct ports that were free on 127.0.0.1 a moment ago. */
    static int[] freePorts(int count) {
        if (count < 1 || count > 16) {
            throw new IllegalArgumentException("count must be in [1, 16]: " + count);
        }
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket();
                held.add(socket);
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find free loopback ports", e);
        } finally {
            for (ServerSocket socket : held) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // best effort; the port is released when the socket is collected anyway
                }
            }
        }
    }
}
