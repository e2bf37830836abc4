package io.keel.raft.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QuorumTest {
    @Test
    void majorityCommittedIndex() {
        MajorityConfig c = new MajorityConfig(List.of(1L, 2L, 3L));
        Map<Long, Long> m = Map.of(1L, 10L, 2L, 5L, 3L, 7L);
        assertThat(c.committedIndex(id -> m.getOrDefault(id, -1L))).isEqualTo(7);
        MajorityConfig four = new MajorityConfig(List.of(1L, 2L, 3L, 4L));
        Map<Long, Long> m4 = Map.of(1L, 10L, 2L, 5L, 3L, 7L, 4L, 1L);
        assertThat(four.committedIndex(id -> m4.getOrDefault(id, -1L))).isEqualTo(5);
        assertThat(c.committedIndex(id -> id == 1 ? 10 : -1)).isZero(); // unknown voters count as 0
        assertThat(MajorityConfig.EMPTY.committedIndex(id -> 0)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void majorityVotes() {
        MajorityConfig c = new MajorityConfig(List.of(1L, 2L, 3L));
        assertThat(c.voteResult(Map.of(1L, true))).isEqualTo(VoteResult.PENDING);
        assertThat(c.voteResult(Map.of(1L, true, 2L, true))).isEqualTo(VoteResult.WON);
        assertThat(c.voteResult(Map.of(1L, false, 2L, false))).isEqualTo(VoteResult.LOST);
        assertThat(c.voteResult(Map.of(1L, true, 2L, false))).isEqualTo(VoteResult.PENDING);
        assertThat(c.voteResult(Map.of(9L, true, 8L, true))).isEqualTo(VoteResult.PENDING); // non-voters ignored
        assertThat(MajorityConfig.EMPTY.voteResult(Map.of())).isEqualTo(VoteResult.WON);
    }

    @Test
    void jointNeedsBothMajorities() {
        JointConfig j = new JointConfig(new MajorityConfig(List.of(1L, 2L, 3L)), new MajorityConfig(List.of(3L, 4L, 5L)));
        Map<Long, Long> m = Map.of(1L, 9L, 2L, 9L, 3L, 4L, 4L, 2L, 5L, 1L);
        assertThat(j.committedIndex(id -> m.getOrDefault(id, -1L))).isEqualTo(2);
        assertThat(j.voteResult(Map.of(1L, true, 2L, true))).isEqualTo(VoteResult.PENDING);
        assertThat(j.voteResult(Map.of(1L, true, 2L, true, 4L, true, 5L, true))).isEqualTo(VoteResult.WON);
        assertThat(j.voteResult(Map.of(1L, true, 2L, true, 4L, false, 5L, false))).isEqualTo(VoteResult.LOST);
        JointConfig simple = new JointConfig(new MajorityConfig(List.of(1L)), null);
        assertThat(simple.isJoint()).isFalse();
        assertThat(simple.committedIndex(id -> 3)).isEqualTo(3);
    }
}
