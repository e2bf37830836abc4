package io.keel.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerConfigTest {

  static ServerConfig config(String name, String cluster, long maxRequestBytes) {
    return new ServerConfig(name, Path.of("/tmp/x"), ServerConfig.parseUrls("c", "http://127.0.0.1:2379"),
        List.of(), List.of(), List.of(), ServerConfig.parseInitialCluster(cluster), "new", "tok",
        maxRequestBytes, 0, List.of(), 128, 16, 100, 1000,
        ServerConfig.DEFAULT_SNAPSHOT_COUNT, java.util.Set.of());
  }

  @Test
  void parsesEtcdStyleUrlLists() {
    assertThat(ServerConfig.parseUrls("--x", "http://a:1, http://b:2,"))
        .containsExactly(URI.create("http://a:1"), URI.create("http://b:2"));
    assertThat(ServerConfig.parseUrls("--x", "")).isEmpty();
  }

  @Test
  void rejectsUrlsWithoutPortOrWithUnsupportedScheme() {
    assertThatThrownBy(() -> ServerConfig.parseUrls("--listen-client-urls", "http://a"))
        .hasMessageContaining("--listen-client-urls").hasMessageContaining("port");
    assertThatThrownBy(() -> ServerConfig.parseUrls("--listen-client-urls", "ftp://a:1"))
        .hasMessageContaining("http://");
    assertThatThrownBy(() -> ServerConfig.parseUrls("--listen-client-urls", "https://a:1"))
        .hasMessageContaining("TLS");
  }

  @Test
  void parsesInitialClusterWithRepeatedNames() {
    Map<String, List<URI>> m = ServerConfig.parseInitialCluster("a=http://h:1,a=http://h:2,b=http://h:3");
    assertThat(m).containsOnlyKeys("a", "b");
    assertThat(m.get("a")).hasSize(2);
    assertThatThrownBy(() -> ServerConfig.parseInitialCluster("nonsense")).hasMessageContaining("NAME=URL");
  }

  @Test
  void requiresOwnNameInInitialCluster() {
    assertThatThrownBy(() -> config("x", "a=http://h:1", 100)).hasMessageContaining("no member named 'x'");
  }

  @Test
  void boundsMaxRequestBytes() {
    assertThatThrownBy(() -> config("a", "a=http://h:1", 0)).hasMessageContaining("--max-request-bytes");
    assertThat(config("a", "a=http://h:1", 1572864).maxRequestBytes()).isEqualTo(1572864);
  }

  @Test
  void idsAreStableAndDependOnToken() {
    ServerConfig c = config("a", "a=http://h:1", 100);
    MemberIdentity one = MemberIdentity.of(c);
    assertThat(MemberIdentity.of(c)).isEqualTo(one);
    assertThat(one.memberId()).isNotZero();
    assertThat(one.clusterId()).isNotZero();
    assertThat(MemberIdentity.memberIdOf(List.of(URI.create("http://h:1")), "other")).isNotEqualTo(one.memberId());
  }
}
