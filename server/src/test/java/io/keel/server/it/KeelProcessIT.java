package io.keel.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The {@link KeelProcess} fixture against the real Keel jar: start with etcd's flags, SIGTERM stop with a
 * clean exit, restart on the same data dir, kill -9 and restart, metrics listener. Acknowledged writes must
 * survive both kinds of stop.
 */
class KeelProcessIT {

  @Test
  void sigtermStopKillNineAndRestartKeepAcknowledgedWrites() throws Exception {
    try (KeelProcess keel = KeelProcess.started(ServerFlags.named("fixture").withMetricsListener())) {
      long revision = put(keel, "after-start", "1");

      assertThat(keel.stop()).as("Keel exit code after SIGTERM (0, or 143 = JVM default)").isIn(0, 143);
      keel.restart();
      assertThat(get(keel, "after-start").getKvs(0).getValue().toStringUtf8()).isEqualTo("1");
      long revisionAfterRestart = put(keel, "after-restart", "2");
      assertThat(revisionAfterRestart).as("revisions continue after a restart").isEqualTo(revision + 1);

      assertThat(keel.kill9()).isEqualTo(137);
      keel.restart();
      assertThat(get(keel, "after-start").getHeader().getRevision()).isEqualTo(revisionAfterRestart);
      assertThat(get(keel, "after-restart").getKvs(0).getValue().toStringUtf8()).isEqualTo("2");

      HttpResponse<String> metrics = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(keel.metricsUrl() + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(Files.readString(keel.logFile())).contains("start #1:", "start #2:", "start #3:");
      assertThat(keel.stop()).isIn(0, 143);
    }
  }

  private static long put(KeelProcess keel, String key, String value) {
    ManagedChannel channel = keel.newChannel();
    try {
      return KVGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
          .put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8(value))
              .build())
          .getHeader().getRevision();
    } finally {
      channel.shutdownNow();
    }
  }

  private static RangeResponse get(KeelProcess keel, String key) {
    ManagedChannel channel = keel.newChannel();
    try {
      return KVGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
          .range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).build());
    } finally {
      channel.shutdownNow();
    }
  }
}
