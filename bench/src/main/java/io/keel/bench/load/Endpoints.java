package io.keel.bench.load;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses etcd-style endpoint lists ("127.0.0.1:2379,http://localhost:22379") and enforces the benchmark's
 * safety rule: only loopback targets. A non-loopback or malformed endpoint is a clear error.
 */
public final class Endpoints {

  /** One host:port target. */
  public record HostPort(String host, int port) {
    @Override
    public String toString() {
      return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }
  }

  /** Upper bound on the number of endpoints accepted. */
  public static final int MAX_ENDPOINTS = 64;

  private Endpoints() {}

  /** Parses and validates a comma-separated list. */
  public static List<HostPort> parseLoopback(String list) {
    if (list == null || list.isBlank()) {
      throw new IllegalArgumentException("no endpoints given");
    }
    List<HostPort> out = new ArrayList<>();
    for (String raw : list.split(",")) {
      String s = raw.trim();
      if (s.isEmpty()) {
        continue;
      }
      out.add(parseOne(s));
      if (out.size() > MAX_ENDPOINTS) {
        throw new IllegalArgumentException("more than " + MAX_ENDPOINTS + " endpoints");
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no endpoints given: '" + list + "'");
    }
    return out;
  }

  static HostPort parseOne(String s) {
    String withScheme = s.contains("://") ? s : "http://" + s;
    URI uri;
    try {
      uri = URI.create(withScheme);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("malformed endpoint '" + s + "': " + e.getMessage(), e);
    }
    if (!"http".equals(uri.getScheme())) {
      throw new IllegalArgumentException("endpoint '" + s + "': only plaintext http:// is supported");
    }
    String host = uri.getHost();
    int port = uri.getPort();
    if (host == null || port <= 0 || port > 65535) {
      throw new IllegalArgumentException("endpoint '" + s + "' must be host:port");
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      InetAddress addr = InetAddress.getByName(host);
      if (!addr.isLoopbackAddress()) {
        throw new IllegalArgumentException(
            "endpoint '" + s + "' is not loopback; the benchmark only targets this machine");
      }
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("endpoint '" + s + "': unknown host", e);
    }
    return new HostPort(host, port);
  }
}
