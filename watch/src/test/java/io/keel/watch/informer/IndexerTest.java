package io.keel.watch.informer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class IndexerTest {
  private final Indexer<String> idx = new Indexer<>(Map.<String, Function<String, Collection<String>>>of(
      "first", s -> List.of(s.substring(0, 1)),
      "chars", s -> s.chars().mapToObj(c -> String.valueOf((char) c)).distinct().toList()));

  @Test
  void secondaryIndexesFollowPutsUpdatesAndRemoves() {
    idx.put("k1", "ab", 1);
    idx.put("k2", "ac", 2);
    idx.put("k3", "bc", 3);
    assertThat(idx.byIndex("first", "a")).containsExactly("ab", "ac");
    assertThat(idx.byIndex("chars", "c")).containsExactly("ac", "bc");
    assertThat(idx.put("k1", "zz", 4).object()).isEqualTo("ab");
    assertThat(idx.byIndex("first", "a")).containsExactly("ac");
    assertThat(idx.byIndex("first", "z")).containsExactly("zz");
    assertThat(idx.remove("k2").modRevision()).isEqualTo(2);
    assertThat(idx.byIndex("first", "a")).isEmpty();
    assertThat(idx.remove("nope")).isNull();
    assertThat(idx.keys()).containsExactly("k1", "k3");
    assertThat(idx.entry("k1").modRevision()).isEqualTo(4);
    assertThatThrownBy(() -> idx.byIndex("missing", "a")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void indexFunctionThatThrowsLeavesTheCacheUntouched() {
    Indexer<String> bad = new Indexer<>(Map.of("len", s -> {
      if (s.isEmpty()) {
        throw new IllegalArgumentException("empty");
      }
      return List.of(Integer.toString(s.length()));
    }));
    bad.put("a", "x", 1);
    assertThatThrownBy(() -> bad.put("a", "", 2)).isInstanceOf(IllegalArgumentException.class);
    assertThat(bad.get("a")).isEqualTo("x");
    assertThat(bad.byIndex("len", "1")).containsExactly("x");
  }

  @Test
  void prefixRangeFollowsEtcdRules() {
    assertThat(KeyRange.prefix(ByteString.copyFromUtf8("/a/")).rangeEnd()).isEqualTo(ByteString.copyFromUtf8("/a0"));
    assertThat(KeyRange.prefix(ByteString.copyFrom(new byte[] {1, (byte) 0xff})).rangeEnd())
        .isEqualTo(ByteString.copyFrom(new byte[] {2}));
    assertThat(KeyRange.prefix(ByteString.copyFrom(new byte[] {(byte) 0xff})).rangeEnd())
        .isEqualTo(ByteString.copyFrom(new byte[] {0}));
    assertThat(KeyRange.prefix(ByteString.EMPTY).key()).isEqualTo(ByteString.copyFrom(new byte[] {0}));
  }
}
