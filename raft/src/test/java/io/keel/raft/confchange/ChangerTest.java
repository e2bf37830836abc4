package io.keel.raft.confchange;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keel.raft.ConfChangeSingle;
import io.keel.raft.ConfChangeType;
import io.keel.raft.ConfState;
import io.keel.raft.tracker.Inflights;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChangerTest {
    private static Changer.Result start(long... voters) {
        return Changer.restore(ConfState.ofVoters(voters), 10, () -> new Inflights(4, 1 << 20));
    }

    private static Changer ch(Changer.Result r) {
        return new Changer(r.config(), r.progress(), 10, () -> new Inflights(4, 1 << 20));
    }

    private static ConfChangeSingle add(long id) {
        return new ConfChangeSingle(ConfChangeType.ADD_NODE, id);
    }

    private static ConfChangeSingle rm(long id) {
        return new ConfChangeSingle(ConfChangeType.REMOVE_NODE, id);
    }

    private static ConfChangeSingle learner(long id) {
        return new ConfChangeSingle(ConfChangeType.ADD_LEARNER_NODE, id);
    }

    @Test
    void simpleChangesAndTheirLimits() {
        Changer.Result r = ch(start(1, 2, 3)).simple(List.of(add(4)));
        assertThat(r.config().voters().incoming().ids()).containsExactly(1L, 2L, 3L, 4L);
        assertThatThrownBy(() -> ch(start(1, 2, 3)).simple(List.of(add(4), add(5))))
                .isInstanceOf(ConfChangeException.class).hasMessageContaining("more than one voter");
        assertThatThrownBy(() -> ch(start(1)).simple(List.of(rm(1)))).hasMessageContaining("removed all voters");
        Changer.Result l = ch(start(1, 2, 3)).simple(List.of(learner(4)));
        assertThat(l.config().learners()).containsExactly(4L);
        assertThat(l.progress().get(4L).isLearner).isTrue();
        Changer.Result promoted = ch(l).simple(List.of(add(4)));
        assertThat(promoted.config().learners()).isEmpty();
        assertThat(promoted.progress().get(4L).isLearner).isFalse();
    }

    @Test
    void jointEnterAndLeaveWithDemotionViaLearnersNext() {
        Changer.Result j = ch(start(1, 2, 3)).enterJoint(true, List.of(add(4), learner(1)));
        assertThat(j.config().voters().incoming().ids()).containsExactly(2L, 3L, 4L);
        assertThat(j.config().voters().outgoing().ids()).containsExactly(1L, 2L, 3L);
        assertThat(j.config().learnersNext()).containsExactly(1L);
        assertThat(j.config().autoLeave()).isTrue();
        assertThatThrownBy(() -> ch(j).enterJoint(false, List.of(add(5)))).hasMessageContaining("already joint");
        assertThatThrownBy(() -> ch(j).simple(List.of(add(5)))).hasMessageContaining("joint");
        Changer.Result left = ch(j).leaveJoint();
        assertThat(left.config().voters().isJoint()).isFalse();
        assertThat(left.config().learners()).containsExactly(1L);
        assertThat(left.progress().get(1L).isLearner).isTrue();
        assertThatThrownBy(() -> ch(left).leaveJoint()).hasMessageContaining("non-joint");
    }

    @Test
    void removedOutgoingVoterKeepsProgressUntilLeave() {
        Changer.Result j = ch(start(1, 2, 3)).enterJoint(false, List.of(rm(3)));
        assertThat(j.progress()).containsKey(3L);
        assertThat(ch(j).leaveJoint().progress()).doesNotContainKey(3L);
    }

    @Test
    void restoreOfJointConfStateRoundTrips() {
        Changer.Result j = ch(start(1, 2, 3)).enterJoint(true, List.of(add(4), learner(1), learner(5)));
        ConfState cs = j.config().toConfState();
        Changer.Result back = Changer.restore(cs, 10, () -> new Inflights(4, 1 << 20));
        assertThat(back.config().toConfState()).isEqualTo(cs);
    }
}
