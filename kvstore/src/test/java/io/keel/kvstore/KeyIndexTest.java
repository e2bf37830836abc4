package io.keel.kvstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class KeyIndexTest {
  private static byte[] k(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void matchesATreeMapUnderRandomInsertsUpdatesAndRemovals() {
    for (long seed = 0; seed < 20; seed++) {
      Random r = new Random(seed);
      KeyIndex idx = new KeyIndex();
      TreeMap<String, long[]> model = new TreeMap<>();
      for (int i = 0; i < 3000; i++) {
        String key = Integer.toString(r.nextInt(600), 36);
        if (r.nextInt(5) == 0) {
          idx.remove(k(key));
          model.remove(key);
        } else {
          long[] rec = {i};
          idx.put(k(key), rec);
          model.put(key, rec);
        }
      }
      idx.checkInvariants();
      assertThat(idx.size()).isEqualTo(model.size());
      for (String key : model.keySet()) {
        assertThat(idx.get(k(key))).isSameAs(model.get(key));
      }
      List<String> scanned = new ArrayList<>();
      idx.scan(k("1"), k("5"), (p, slot, rec) -> scanned.add(new String(p.key(slot), StandardCharsets.UTF_8)));
      assertThat(scanned).containsExactlyElementsOf(model.subMap("1", "5").keySet());
      List<String> all = new ArrayList<>();
      idx.scan(new byte[] {0}, new byte[0], (p, slot, rec) -> all.add(new String(p.key(slot), StandardCharsets.UTF_8)));
      assertThat(all).containsExactlyElementsOf(model.keySet());
    }
  }

  @Test
  void unsignedKeyOrder() {
    KeyIndex idx = new KeyIndex();
    idx.put(new byte[] {(byte) 0xff}, new long[] {1});
    idx.put(new byte[] {0x01}, new long[] {2});
    idx.put(new byte[] {0x7f, 0}, new long[] {3});
    List<byte[]> keys = new ArrayList<>();
    idx.scan(new byte[] {0}, new byte[0], (p, slot, rec) -> keys.add(p.key(slot)));
    assertThat(keys).extracting(Arrays::toString).containsExactly("[1]", "[127, 0]", "[-1]");
  }

  /**
   * Memory ceiling: a single-revision key costs its bytes plus well under 100 bytes of index overhead.
   * 100k keys of 32 bytes, inserted in random order, through the real store code path (KeyHistory.put).
   */
  @Test
  void bytesPerKeyCeiling() {
    KeyIndex idx = new KeyIndex();
    int n = 100_000;
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      order.add(i);
    }
    java.util.Collections.shuffle(order, new Random(1));
    long rev = 1;
    for (int i : order) {
      byte[] key = k(String.format(java.util.Locale.ROOT, "/registry/pods/ns-%03d/pod-%06d", i % 1000, i));
      assertThat(key.length).isEqualTo(32);
      rev++;
      idx.put(key, KeyHistory.put(idx.get(key), rev, 0));
    }
    idx.checkInvariants();
    double perKey = (double) idx.heapBytes() / n;
    double overhead = perKey - 32;
    System.out.printf("index heap: %.1f bytes/key (%.1f beyond the key bytes)%n", perKey, overhead);
    assertThat(perKey).isLessThan(100);
    assertThat(overhead).isLessThan(40);
  }

  @Test
  void historyRecordsGrowByTwoLongsPerRevision() {
    long[] rec = null;
    for (int i = 0; i < 10; i++) {
      rec = KeyHistory.put(rec, 2 + i, 0);
    }
    assertThat(rec.length).isEqualTo(KeyHistory.HEADER + 2 * 10);
    long[] compacted = KeyHistory.compact(rec, 100);
    assertThat(compacted).containsExactly(2, 10, 11, 0); // short form {created, ver, main, sub}
    assertThat(KeyHistory.find(compacted, 11)).isZero();
    assertThat(KeyHistory.mainAt(compacted, 0)).isEqualTo(11);
    long[] deleted = KeyHistory.tombstone(compacted, 12, 0);
    assertThat(KeyHistory.isLive(deleted)).isFalse();
    assertThat(KeyHistory.find(deleted, 11)).isNotNegative();
    assertThat(KeyHistory.find(deleted, 12)).isNegative();
    assertThat(KeyHistory.compact(deleted, 12)).isNull();
    assertThat(KeyHistory.keep(deleted, 12)).isNegative();
    assertThat(KeyHistory.keep(deleted, 11)).isNotNegative();
  }
}
