package io.keel.bench.load;

/**
 * How much load to offer and when to stop: {@code clients} closed-loop clients, each with at most
 * {@code maxOutstandingPerClient} requests in flight, until {@code total} requests were issued or
 * {@code maxSeconds} passed, whichever comes first. With {@code ratePerSecond > 0} request i is intended
 * to start at {@code start + i / rate} and its latency is measured from that intended time (so a stalled
 * server cannot hide its queueing delay: coordinated-omission aware).
 *
 * @param clients concurrent logical clients (1..100000)
 * @param maxOutstandingPerClient in-flight requests per client (1..1024); etcd's benchmark uses 1
 * @param total requests to issue (1..1e9)
 * @param maxSeconds safety limit on the run's duration (1..86400)
 * @param ratePerSecond target aggregate request rate; 0 means as fast as the clients go
 */
public record LoadConfig(int clients, int maxOutstandingPerClient, long total, long maxSeconds, double ratePerSecond) {

  public LoadConfig {
    check(clients >= 1 && clients <= 100_000, "clients must be in 1..100000: " + clients);
    check(maxOutstandingPerClient >= 1 && maxOutstandingPerClient <= 1024,
        "max outstanding per client must be in 1..1024: " + maxOutstandingPerClient);
    check(total >= 1 && total <= 1_000_000_000L, "total must be in 1..1000000000: " + total);
    check(maxSeconds >= 1 && maxSeconds <= 86_400, "max seconds must be in 1..86400: " + maxSeconds);
    check(ratePerSecond >= 0 && ratePerSecond <= 10_000_000 && !Double.isNaN(ratePerSecond),
        "rate must be in 0..10000000 (0 = unlimited): " + ratePerSecond);
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
