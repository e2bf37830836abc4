package io.keel.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryStorageTest {
    private static List<Entry> ents(long from, long to, long term) {
        List<Entry> out = new java.util.ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(Entry.normal(term, i, new byte[10]));
        }
        return out;
    }

    @Test
    void appendTruncatesConflictsAndBoundsReadsByBytes() {
        MemoryStorage s = new MemoryStorage();
        s.append(ents(1, 5, 1));
        s.append(ents(4, 6, 2));
        assertThat(s.lastIndex()).isEqualTo(6);
        assertThat(s.term(3)).isEqualTo(1);
        assertThat(s.term(4)).isEqualTo(2);
        assertThat(s.entries(1, 7, 70)).hasSize(2); // 34 bytes each
        assertThat(s.entries(1, 7, 1)).hasSize(1); // always at least one
        assertThatThrownBy(() -> s.entries(1, 8, 100)).isInstanceOf(UnavailableException.class);
        assertThatThrownBy(() -> s.append(ents(9, 9, 2))).hasMessageContaining("missing log entry");
    }

    @Test
    void compactAndSnapshot() {
        MemoryStorage s = new MemoryStorage();
        s.append(ents(1, 10, 1));
        Snapshot snap = s.createSnapshot(6, ConfState.ofVoters(1), new byte[] {1});
        s.compact(6);
        assertThat(s.firstIndex()).isEqualTo(7);
        assertThat(s.term(6)).isEqualTo(1);
        assertThatThrownBy(() -> s.term(5)).isInstanceOf(CompactedException.class);
        assertThatThrownBy(() -> s.entries(5, 8, 100)).isInstanceOf(CompactedException.class);
        assertThatThrownBy(() -> s.createSnapshot(5, ConfState.EMPTY, null)).hasMessageContaining("out of date");
        assertThat(s.snapshot()).isEqualTo(snap);
        MemoryStorage f = new MemoryStorage();
        f.applySnapshot(snap);
        assertThat(f.firstIndex()).isEqualTo(7);
        assertThat(f.lastIndex()).isEqualTo(6);
        assertThat(f.initialState().confState()).isEqualTo(ConfState.ofVoters(1));
        assertThatThrownBy(() -> f.applySnapshot(snap)).hasMessageContaining("out of date");
    }
}
