package io.keel.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.keel.proto.etcdserverpb.ClusterGrpc;
import io.keel.proto.etcdserverpb.Compare;
import io.keel.proto.etcdserverpb.KVGrpc;
import io.keel.proto.etcdserverpb.MaintenanceGrpc;
import io.keel.proto.etcdserverpb.MemberListRequest;
import io.keel.proto.etcdserverpb.PutRequest;
import io.keel.proto.etcdserverpb.PutResponse;
import io.keel.proto.etcdserverpb.RangeRequest;
import io.keel.proto.etcdserverpb.RangeResponse;
import io.keel.proto.etcdserverpb.RequestOp;
import io.keel.proto.etcdserverpb.StatusRequest;
import io.keel.proto.etcdserverpb.StatusResponse;
import io.keel.proto.etcdserverpb.TxnRequest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real member on loopback, driven through etcd's generated gRPC stubs. */
class KeelServerTest {
  @TempDir Path dir;
  KeelServer server;
  ManagedChannel channel;
  KVGrpc.KVBlockingStub kv;
  int metricsPort;

  static int freePort() throws IOException {
    return io.keel.server.TestPorts.free();
  }

  @BeforeEach
  void start() throws IOException {
    int port = freePort();
    metricsPort = freePort();
    ServerConfig c = new ServerConfig("m1", dir, ServerConfig.parseUrls("c", "http://127.0.0.1:" + port),
        ServerConfig.parseUrls("a", "http://127.0.0.1:" + port), List.of(),
        ServerConfig.parseUrls("p", "http://127.0.0.1:1"), ServerConfig.parseInitialCluster("m1=http://127.0.0.1:1"),
        "new", "t", 4096, 0, ServerConfig.parseUrls("m", "http://127.0.0.1:" + metricsPort), 4, 64, 50, 500,
        ServerConfig.DEFAULT_SNAPSHOT_COUNT, java.util.Set.of());
    server = KeelServer.start(c);
    try {
      assertThat(server.awaitReady(15_000)).as("a single member elects itself and publishes").isTrue();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    kv = KVGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.close();
  }

  static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @Test
  void putThenGetWithEtcdHeaders() {
    PutResponse put = kv.put(PutRequest.newBuilder().setKey(b("k")).setValue(b("v")).build());
    assertThat(put.getHeader().getRevision()).isEqualTo(2);
    assertThat(put.getHeader().getMemberId()).isNotZero();
    assertThat(put.getHeader().getClusterId()).isNotZero();
    RangeResponse r = kv.range(RangeRequest.newBuilder().setKey(b("k")).build());
    assertThat(r.getKvsList()).singleElement().satisfies(x -> {
      assertThat(x.getValue()).isEqualTo(b("v"));
      assertThat(x.getCreateRevision()).isEqualTo(2);
      assertThat(x.getVersion()).isEqualTo(1);
    });
    assertThat(r.getHeader().getRevision()).isEqualTo(2);
  }

  @Test
  void badInputGetsEtcdCodesAndLeavesDataAlone() {
    kv.put(PutRequest.newBuilder().setKey(b("keep")).setValue(b("1")).build());
    assertStatus(() -> kv.put(PutRequest.newBuilder().setValue(b("v")).build()),
        Status.Code.INVALID_ARGUMENT, "etcdserver: key is not provided");
    assertStatus(() -> kv.put(PutRequest.newBuilder().setKey(b("big")).setValue(ByteString.copyFrom(new byte[5000]))
        .build()), Status.Code.INVALID_ARGUMENT, "etcdserver: request is too large");
    TxnRequest.Builder many = TxnRequest.newBuilder();
    for (int i = 0; i < 5; i++) {
      many.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(b("t" + i))));
    }
    assertStatus(() -> kv.txn(many.build()), Status.Code.INVALID_ARGUMENT,
        "etcdserver: too many operations in txn request");
    TxnRequest dup = TxnRequest.newBuilder()
        .addCompare(Compare.newBuilder().setKey(b("keep")).setTarget(Compare.CompareTarget.VERSION).setVersion(1))
        .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(b("d"))))
        .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(b("d"))))
        .build();
    assertStatus(() -> kv.txn(dup), Status.Code.INVALID_ARGUMENT, "etcdserver: duplicate key given in txn request");
    assertStatus(() -> kv.range(RangeRequest.newBuilder().setKey(b("keep")).setRevision(99).build()),
        Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision is a future revision");

    RangeResponse all = kv.range(RangeRequest.newBuilder().setKey(b("\0")).setRangeEnd(b("\0")).build());
    assertThat(all.getKvsList()).extracting(x -> x.getKey().toStringUtf8()).containsExactly("keep");
    assertThat(all.getHeader().getRevision()).isEqualTo(2);
  }

  @Test
  void statusAndMemberListDescribeTheOneMember() {
    StatusResponse st = MaintenanceGrpc.newBlockingStub(channel).status(StatusRequest.getDefaultInstance());
    assertThat(st.getLeader()).isEqualTo(st.getHeader().getMemberId());
    assertThat(st.getVersion()).startsWith("3.4");
    var members = ClusterGrpc.newBlockingStub(channel).memberList(MemberListRequest.getDefaultInstance());
    assertThat(members.getMembersList()).singleElement().satisfies(m -> {
      assertThat(m.getName()).isEqualTo("m1");
      assertThat(m.getID()).isEqualTo(st.getHeader().getMemberId());
    });
  }

  @Test
  void servesPrometheusMetrics() throws Exception {
    kv.put(PutRequest.newBuilder().setKey(b("k")).setValue(b("v")).build());
    HttpResponse<String> resp = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(resp.statusCode()).isEqualTo(200);
    assertThat(resp.body()).contains("keel_raft_ready_duration_seconds").contains("keel_wal_fsync").contains("grpc_server_processing_duration");
  }

  @Test
  void survivesRestartOnSameDataDir() {
    kv.put(PutRequest.newBuilder().setKey(b("k")).setValue(b("v1")).build());
    kv.put(PutRequest.newBuilder().setKey(b("k")).setValue(b("v2")).build());
    channel.shutdownNow();
    server.close();
    try {
      start();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    RangeResponse r = kv.range(RangeRequest.newBuilder().setKey(b("k")).build());
    assertThat(r.getKvs(0).getValue()).isEqualTo(b("v2"));
    assertThat(r.getKvs(0).getVersion()).isEqualTo(2);
    assertThat(r.getHeader().getRevision()).isEqualTo(3);
  }

  static void assertStatus(Runnable call, Status.Code code, String message) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).isEqualTo(message);
    });
  }
}
