package io.keel.server.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Real etcd ({@code /usr/bin/etcd}, 3.4.x; override with system property {@code keel.it.etcd}) as the
 * reference server. See {@link ServerProcess} for the lifecycle.
 */
public final class EtcdProcess extends ServerProcess {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final Path binary;

    public EtcdProcess(ServerConfig config) {
        super("etcd", config);
        this.binary = Path.of(System.getProperty("keel.it.etcd", "/usr/bin/etcd"));
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException("etcd binary not found or not executable: " + binary
                    + " (install Debian package etcd-server or set -Dkeel.it.etcd=PATH)");
        }
    }

    /** Creates and starts a real etcd; the caller closes it. */
    public static EtcdProcess started(ServerConfig config) {
        EtcdProcess etcd = new EtcdProcess(config);
        try {
            etcd.start();
            return etcd;
        } catch (RuntimeException | Error e) {
            etcd.close();
            throw e;
        }
    }

    @Override
    public String kind() {
        return "etcd";
    }

    @Override
    protected List<String> command() {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(etcdFlags());
        return command;
    }

    @Override
    protected Duration startTimeout() {
        return START_TIMEOUT;
    }
}
