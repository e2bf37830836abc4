package io.keel.server.it;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.RangeRequest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The process fixture itself, exercised with real etcd (the same code drives {@link KeelProcess}): start on
 * free ports, kill -9, restart on the same data dir with data intact, SIGTERM stop, cleanup, logs.
 */
class ServerProcessIT {

    @Test
    void killNineThenRestartKeepsDataAndCloseCleansUp() throws Exception {
        Path root;
        Path log;
        try (EtcdProcess etcd = EtcdProcess.started(ServerConfig.named("fixture").withMetricsListener())) {
            root = etcd.dataDir().getParent();
            log = etcd.logFile();
            Etcdctl etcdctl = new Etcdctl(etcd.clientEndpoint());
            assertThat(etcdctl.run(List.of("put", "durable", "yes"), new byte[0]).stdout()).isEqualTo("OK\n");
            int clientPort = etcd.clientPort();
            long firstPid = etcd.pid();

            assertThat(etcd.kill9()).as("exit code after SIGKILL").isEqualTo(137);
            assertThat(etcd.isAlive()).isFalse();
            assertThatThrownBy(() -> new Socket("127.0.0.1", clientPort).close())
                    .as("nothing listens on the client port of a killed server").isInstanceOf(IOException.class);

            etcd.restart();
            assertThat(etcd.isAlive()).isTrue();
            assertThat(etcd.pid()).isNotEqualTo(firstPid);
            assertThat(etcd.clientPort()).isEqualTo(clientPort);
            assertThat(etcdctl.run(List.of("get", "durable", "--print-value-only"), new byte[0]).stdout())
                    .isEqualTo("yes\n");
            assertThat(etcd.metricsUrl()).startsWith("http://127.0.0.1:");
            ManagedChannel channel = etcd.newChannel();
            try {
                assertThat(KVGrpc.newBlockingStub(channel).range(RangeRequest.newBuilder()
                        .setKey(ByteString.copyFromUtf8("durable")).build()).getKvs(0).getValue().toStringUtf8())
                        .isEqualTo("yes");
            } finally {
                channel.shutdownNow();
            }
            assertThatThrownBy(etcd::restart).hasMessageContaining("still running");

            assertThat(etcd.stop()).as("etcd exit code after SIGTERM").isIn(0, 143);
            assertThat(etcd.isAlive()).isFalse();
            assertThat(Files.readString(log)).contains("start #1:", "start #2:", "--data-dir " + etcd.dataDir());
        }
        assertThat(root).doesNotExist();
        assertThat(log).exists();
    }

    @Test
    void aTranscriptAgainstADeadServerRecordsNotRunStepsWithoutWaiting() {
        try (EtcdProcess etcd = EtcdProcess.started(ServerConfig.named("dead"))) {
            etcd.kill9();
            assertThat(etcd.exitCode()).hasValue(137);
            long startNanos = System.nanoTime();
            EtcdctlScript script = EtcdctlScript.parse("put a 1\nget a");
            EtcdctlTranscript transcript = EtcdctlTranscript.record("etcd", script, etcd);
            assertThat(Duration.ofNanos(System.nanoTime() - startNanos)).isLessThan(Duration.ofSeconds(2));
            assertThat(transcript.entries()).hasSize(2).allSatisfy(e -> {
                assertThat(e.raw().exitCode()).isEqualTo(-1);
                assertThat(e.raw().stderr()).startsWith("NOT RUN: etcd exited with code 137");
            });
        }
    }

    @Test
    void closeKillsARunningServer() {
        EtcdProcess etcd = EtcdProcess.started(ServerConfig.named("closer"));
        long pid = etcd.pid();
        etcd.close();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(etcd.dataDir()).doesNotExist();
        assertThatThrownBy(etcd::start).hasMessageContaining("already started");
    }
}
