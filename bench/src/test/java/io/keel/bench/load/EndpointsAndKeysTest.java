package io.keel.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EndpointsAndKeysTest {

  @Test
  void parsesEtcdStyleEndpointLists() {
    assertThat(Endpoints.parseLoopback("127.0.0.1:2379, http://localhost:22379"))
        .containsExactly(new Endpoints.HostPort("127.0.0.1", 2379), new Endpoints.HostPort("localhost", 22379));
  }

  @Test
  void rejectsNonLoopbackAndMalformedEndpoints() {
    assertThatThrownBy(() -> Endpoints.parseLoopback("10.1.2.3:2379")).hasMessageContaining("not loopback");
    assertThatThrownBy(() -> Endpoints.parseLoopback("127.0.0.1")).hasMessageContaining("host:port");
    assertThatThrownBy(() -> Endpoints.parseLoopback("https://127.0.0.1:2379")).hasMessageContaining("plaintext");
    assertThatThrownBy(() -> Endpoints.parseLoopback(" , ")).hasMessageContaining("no endpoints");
  }

  @Test
  void sequentialKeysCycleThroughTheKeySpace() {
    KeyGenerator g = new KeyGenerator(8, 1000, true);
    Set<ByteString> keys = new HashSet<>();
    for (long i = 0; i < 3000; i++) {
      ByteString k = g.key(i);
      assertThat(k.size()).isEqualTo(8);
      keys.add(k);
    }
    assertThat(keys).hasSize(1000);
    assertThat(g.key(5)).isEqualTo(g.key(1005));
  }

  @Test
  void randomKeysStayInTheKeySpaceAndDefaultIsOneKey() {
    Set<ByteString> keys = new HashSet<>();
    KeyGenerator g = new KeyGenerator(8, 50, false);
    for (long i = 0; i < 5000; i++) {
      keys.add(g.key(i));
    }
    assertThat(keys).hasSize(50);
    assertThat(new KeyGenerator(8, 1, false).key(123)).isEqualTo(new KeyGenerator(8, 1, false).key(9));
  }

  @Test
  void rejectsBadSizes() {
    assertThatThrownBy(() -> new KeyGenerator(0, 1, false)).hasMessageContaining("key size");
    assertThatThrownBy(() -> new KeyGenerator(8, 0, false)).hasMessageContaining("key space");
    assertThatThrownBy(() -> KeyGenerator.randomValue(-1, new java.util.SplittableRandom())).hasMessageContaining("value size");
  }
}
