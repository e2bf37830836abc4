package io.keel.raft.tracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProgressTest {
    @Test
    void inflightsBoundedByCountAndBytes() {
        Inflights in = new Inflights(3, 100);
        in.add(1, 10);
        in.add(2, 10);
        assertThat(in.full()).isFalse();
        in.add(3, 10);
        assertThat(in.full()).isTrue();
        assertThatThrownBy(() -> in.add(4, 1)).isInstanceOf(IllegalStateException.class);
        in.freeLE(2);
        assertThat(in.count()).isEqualTo(1);
        in.add(4, 95);
        assertThat(in.full()).as("byte bound").isTrue();
        in.freeLE(4);
        assertThat(in.count()).isZero();
        assertThat(in.totalBytes()).isZero();
    }

    @Test
    void probeReplicateSnapshotTransitions() {
        Progress p = new Progress(0, 5, new Inflights(2, 1000), false);
        p.sentEntries(1, 5, 10);
        assertThat(p.isPaused()).as("probe sends one message at a time").isTrue();
        assertThat(p.maybeDecrTo(3, 1)).as("stale rejection").isFalse();
        assertThat(p.maybeDecrTo(4, 1)).isTrue();
        assertThat(p.next).isEqualTo(2);
        assertThat(p.isPaused()).isFalse();
        assertThat(p.maybeUpdate(3)).isTrue();
        p.becomeReplicate();
        assertThat(p.next).isEqualTo(4);
        p.sentEntries(2, 5, 10);
        p.sentEntries(1, 6, 10);
        assertThat(p.isPaused()).as("window of 2 full").isTrue();
        p.maybeUpdate(5);
        p.inflights.freeLE(5);
        assertThat(p.inflights.count()).isEqualTo(1);
        p.becomeSnapshot(20);
        assertThat(p.isPaused()).isTrue();
        p.becomeProbe();
        assertThat(p.next).isEqualTo(21);
    }
}
