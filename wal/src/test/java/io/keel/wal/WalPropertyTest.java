package io.keel.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Random sequences of append / overwrite / hard state / snapshot / release / reopen, checked after every reopen
 * against a plain in-memory model of the log (etcd's overwrite rule, entries after the snapshot marker).
 */
class WalPropertyTest {

  /** The model: what replay must return. */
  private static final class Model {
    long snapIndex;
    long snapTerm;
    final List<WalEntry> entries = new ArrayList<>();
    HardState hs = HardState.EMPTY;
    long term = 1;

    long last() {
      return entries.isEmpty() ? snapIndex : entries.get(entries.size() - 1).index();
    }

    void append(List<WalEntry> es) {
      long i = es.get(0).index();
      entries.removeIf(e -> e.index() >= i);
      entries.addAll(es);
    }

    void snapshot(long s, long t) {
      entries.removeIf(e -> e.index() <= s);
      snapIndex = s;
      snapTerm = t;
    }
  }

  @Property(tries = 25)
  void randomOperationsReplayToTheModel(
      @ForAll @Size(min = 1, max = 45) List<@IntRange(min = 0, max = 1_000_000) Integer> ops) throws IOException {
    Path dir = Files.createTempDirectory("wal-prop");
    try {
      run(dir, ops);
    } finally {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void run(Path dir, List<Integer> ops) throws IOException {
    WalOptions opts = WalTestSupport.small(dir).segmentBytes(8 << 10).maxRecordBytes(3 << 10);
    Model m = new Model();
    Wal w = Wal.open(opts);
    try {
      for (int op : ops) {
        int kind = op % 10;
        int p = op / 10;
        long lo = Math.max(m.snapIndex, m.hs.commit());
        if (kind == 5 && m.last() > lo) { // overwrite a suffix in a new term
          m.term++;
          long i = lo + 1 + p % (m.last() - lo);
          List<WalEntry> es = batch(i, 1 + p % 5, m.term, p);
          w.writeSync(es, null);
          m.append(es);
        } else if (kind == 5) { // nothing to overwrite: a gap must be refused and change nothing
          Wal cur = w;
          List<WalEntry> gap = batch(m.last() + 2, 1, m.term, p);
          assertThatThrownBy(() -> cur.writeSync(gap, null))
              .isInstanceOf(IllegalArgumentException.class);
        } else if (kind == 6) {
          long commit = m.hs.commit() + p % (m.last() - m.hs.commit() + 1);
          HardState hs = new HardState(Math.max(m.term, m.hs.term()), 0, commit);
          w.append(List.of(), hs).join();
          m.hs = hs;
        } else if (kind == 7) {
          long s = m.snapIndex + p % (m.last() - m.snapIndex + 3);
          w.markSnapshot(s, m.term);
          m.snapshot(s, m.term);
        } else if (kind == 8) {
          w.releaseBefore(m.snapIndex + 1 - p % 3);
        } else if (kind == 9) {
          w.close();
          w = Wal.open(opts);
          check(w.recovered(), m);
        } else {
          List<WalEntry> es = batch(m.last() + 1, 1 + p % 8, m.term, p);
          w.writeSync(es, kind == 4 ? new HardState(m.term, 0, m.hs.commit()) : null);
          if (kind == 4) {
            m.hs = new HardState(m.term, 0, m.hs.commit());
          }
          m.append(es);
        }
      }
    } finally {
      w.close();
    }
    check(WalTestSupport.reopen(opts), m);
  }

  private static List<WalEntry> batch(long from, int n, long term, int seed) {
    List<WalEntry> out = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      out.add(new WalEntry(from + k, term, WalTestSupport.payload(from + k, term, (seed + 37 * k) % 300)));
    }
    return out;
  }

  private static void check(Recovered r, Model m) {
    assertThat(r.snapshotMarker()).isEqualTo(new SnapshotMarker(m.snapIndex, m.snapTerm));
    assertThat(r.hardState()).isEqualTo(m.hs);
    assertThat(r.entries()).containsExactlyElementsOf(m.entries);
    assertThat(r.lastIndex()).isEqualTo(m.last());
  }
}
