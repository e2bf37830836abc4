package io.keel.raft.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.raft.TestingFault;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Proves the checkers can fail: a deliberately broken Raft (test-only fault switch) is caught quickly. */
class BrokenVariantTest {
    private static final int MAX_SEEDS = 30;

    @Test
    void votingWithoutTheLogCheckIsCaughtWithinAFewSeeds() {
        List<String> caught = new ArrayList<>();
        long firstCaught = -1;
        for (long seed = 1; seed <= MAX_SEEDS && caught.size() < 3; seed++) {
            try {
                new Simulator(seed, SimOptions.defaults().withFault(TestingFault.VOTE_WITHOUT_LOG_CHECK)).run();
            } catch (SimulationFailure f) {
                caught.add(f.getMessage());
                if (firstCaught < 0) {
                    firstCaught = seed;
                }
                assertThat(f.seed()).isEqualTo(seed);
                assertThat(f.getMessage()).contains("-Dkeel.sim.seed=" + seed);
            }
        }
        System.out.println("VOTE_WITHOUT_LOG_CHECK first caught at seed " + firstCaught + ": "
                + (caught.isEmpty() ? "-" : caught.get(0).lines().findFirst().orElse("")));
        assertThat(caught).as("violations found in " + MAX_SEEDS + " seeds").isNotEmpty();
        assertThat(caught).anySatisfy(m -> assertThat(m).containsAnyOf("leader completeness", "state machine safety",
                "log matching", "election safety", "stale read"));
    }

    @Test
    void theSameSeedsPassWithoutTheFault() {
        for (long seed = 1; seed <= 5; seed++) {
            SimResult r = new Simulator(seed, SimOptions.defaults()).run();
            assertThat(r.entriesApplied()).isGreaterThan(10);
        }
    }

    @Test
    void aSeedReplaysIdentically() {
        SimResult a = new Simulator(42, SimOptions.defaults().withSteps(500, 400)).run();
        SimResult b = new Simulator(42, SimOptions.defaults().withSteps(500, 400)).run();
        assertThat(a).isEqualTo(b);
    }
}
