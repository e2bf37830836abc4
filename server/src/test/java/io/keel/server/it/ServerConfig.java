package io.keel.server.it;

/**
 * Options shared by {@link EtcdProcess} and {@link KeelProcess}: both take etcd's own flag names, so the
 * same config starts either server the same way.
 *
 * @param name                member name ({@code --name}); also used in the initial cluster and in log names
 * @param maxRequestBytes     {@code --max-request-bytes}, or 0 for the server default
 * @param quotaBackendBytes   {@code --quota-backend-bytes}, or 0 for the server default
 * @param metricsListener     whether to pass {@code --listen-metrics-urls} on a free loopback port
 */
public record ServerConfig(String name, long maxRequestBytes, long quotaBackendBytes, boolean metricsListener) {

    public ServerConfig {
        if (name == null || !name.matches("[a-zA-Z0-9][a-zA-Z0-9-]{0,30}")) {
            throw new IllegalArgumentException("member name must be 1-31 chars [a-zA-Z0-9-]: " + name);
        }
        if (maxRequestBytes < 0 || quotaBackendBytes < 0) {
            throw new IllegalArgumentException("byte limits must be >= 0");
        }
    }

    /** A member called {@code name} with the server's default limits and no metrics listener. */
    public static ServerConfig named(String name) {
        return new ServerConfig(name, 0, 0, false);
    }

    public ServerConfig withMaxRequestBytes(long bytes) {
        return new ServerConfig(name, bytes, quotaBackendBytes, metricsListener);
    }

    public ServerConfig withQuotaBackendBytes(long bytes) {
        return new ServerConfig(name, maxRequestBytes, bytes, metricsListener);
    }

    public ServerConfig withMetricsListener() {
        return new ServerConfig(name, maxRequestBytes, quotaBackendBytes, true);
    }
}
