package io.keel.server.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.keel.server.DaemonThreads;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * Serves {@code /metrics} (Prometheus text format) and {@code /health} on a --listen-metrics-urls address,
 * as etcd does. Two threads at most: a scrape never competes with client traffic for more.
 */
public final class MetricsHttpServer implements AutoCloseable {
  private final HttpServer http;
  private final ExecutorService executor;

  public MetricsHttpServer(URI url, PrometheusMeterRegistry registry, BooleanSupplier healthy) throws IOException {
    http = HttpServer.create(new InetSocketAddress(url.getHost(), url.getPort()), 16);
    http.createContext("/metrics", ex -> reply(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
        registry.scrape()));
    http.createContext("/health", ex -> {
      boolean ok = healthy.getAsBoolean();
      reply(ex, ok ? 200 : 503, "application/json", "{\"health\":\"" + ok + "\"}");
    });
    executor = Executors.newFixedThreadPool(2, DaemonThreads.named("keel-metrics-http"));
    http.setExecutor(executor);
    http.start();
  }

  public int port() {
    return http.getAddress().getPort();
  }

  private static void reply(HttpExchange ex, int code, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(code, bytes.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(bytes);
    }
  }

  @Override
  public void close() {
    http.stop(0);
    executor.shutdownNow();
  }
}
