package io.keel.raft;

/**
 * Validated, immutable configuration of one Raft node. Build with {@link #builder(long)}; {@code build()}
 * rejects inconsistent settings with a clear message. All sizes are in bytes, all times in ticks.
 */
public record Config(long id, int electionTick, int heartbeatTick, long maxSizePerMsgBytes, int maxInflightMsgs,
                     long maxInflightBytes, long maxUncommittedEntriesBytes, boolean preVote, boolean checkQuorum,
                     ReadOnlyOption readOnlyOption, boolean disableProposalForwarding,
                     long maxCommittedSizePerReadyBytes, long applied, boolean stepDownOnRemoval,
                     long randomSeed, TestingFault testingFault) {

    public Config {
        if (id <= 0) {
            throw new IllegalArgumentException("id must be > 0, got " + id);
        }
        if (heartbeatTick <= 0) {
            throw new IllegalArgumentException("heartbeatTick must be > 0, got " + heartbeatTick);
        }
        if (electionTick <= heartbeatTick) {
            throw new IllegalArgumentException("electionTick (" + electionTick + ") must be > heartbeatTick ("
                    + heartbeatTick + ")");
        }
        if (maxSizePerMsgBytes <= 0) {
            throw new IllegalArgumentException("maxSizePerMsgBytes must be > 0");
        }
        if (maxInflightMsgs <= 0) {
            throw new IllegalArgumentException("maxInflightMsgs must be > 0");
        }
        if (maxInflightBytes <= 0) {
            throw new IllegalArgumentException("maxInflightBytes must be > 0");
        }
        if (maxInflightBytes < maxSizePerMsgBytes) {
            throw new IllegalArgumentException("maxInflightBytes (" + maxInflightBytes
                    + ") must be >= maxSizePerMsgBytes (" + maxSizePerMsgBytes + ")");
        }
        if (maxUncommittedEntriesBytes <= 0) {
            throw new IllegalArgumentException("maxUncommittedEntriesBytes must be > 0");
        }
        if (maxCommittedSizePerReadyBytes <= 0) {
            throw new IllegalArgumentException("maxCommittedSizePerReadyBytes must be > 0");
        }
        if (applied < 0) {
            throw new IllegalArgumentException("applied must be >= 0");
        }
        if (readOnlyOption == null || testingFault == null) {
            throw new IllegalArgumentException("readOnlyOption and testingFault must not be null");
        }
        if (readOnlyOption == ReadOnlyOption.LEASE_BASED && !checkQuorum) {
            throw new IllegalArgumentException("readOnlyOption LEASE_BASED requires checkQuorum");
        }
    }

    public static Builder builder(long id) {
        return new Builder(id);
    }

    public Builder toBuilder() {
        Builder b = new Builder(id);
        b.electionTick = electionTick;
        b.heartbeatTick = heartbeatTick;
        b.maxSizePerMsgBytes = maxSizePerMsgBytes;
        b.maxInflightMsgs = maxInflightMsgs;
        b.maxInflightBytes = maxInflightBytes;
        b.maxUncommittedEntriesBytes = maxUncommittedEntriesBytes;
        b.preVote = preVote;
        b.checkQuorum = checkQuorum;
        b.readOnlyOption = readOnlyOption;
        b.disableProposalForwarding = disableProposalForwarding;
        b.maxCommittedSizePerReadyBytes = maxCommittedSizePerReadyBytes;
        b.applied = applied;
        b.stepDownOnRemoval = stepDownOnRemoval;
        b.randomSeed = randomSeed;
        b.testingFault = testingFault;
        return b;
    }

    /** Builder with production-leaning defaults (preVote and checkQuorum on). */
    public static final class Builder {
        private final long id;
        private int electionTick = 10;
        private int heartbeatTick = 1;
        private long maxSizePerMsgBytes = 1 << 20;
        private int maxInflightMsgs = 256;
        private long maxInflightBytes = 32L << 20;
        private long maxUncommittedEntriesBytes = 64L << 20;
        private boolean preVote = true;
        private boolean checkQuorum = true;
        private ReadOnlyOption readOnlyOption = ReadOnlyOption.SAFE;
        private boolean disableProposalForwarding;
        private long maxCommittedSizePerReadyBytes = 16L << 20;
        private long applied;
        private boolean stepDownOnRemoval = true;
        private long randomSeed;
        private TestingFault testingFault = TestingFault.NONE;

        private Builder(long id) {
            this.id = id;
            this.randomSeed = id * 0x9E3779B97F4A7C15L;
        }

        public Builder electionTick(int v) { electionTick = v; return this; }
        public Builder heartbeatTick(int v) { heartbeatTick = v; return this; }
        public Builder maxSizePerMsgBytes(long v) { maxSizePerMsgBytes = v; return this; }
        public Builder maxInflightMsgs(int v) { maxInflightMsgs = v; return this; }
        public Builder maxInflightBytes(long v) { maxInflightBytes = v; return this; }
        public Builder maxUncommittedEntriesBytes(long v) { maxUncommittedEntriesBytes = v; return this; }
        public Builder preVote(boolean v) { preVote = v; return this; }
        public Builder checkQuorum(boolean v) { checkQuorum = v; return this; }
        public Builder readOnlyOption(ReadOnlyOption v) { readOnlyOption = v; return this; }
        public Builder disableProposalForwarding(boolean v) { disableProposalForwarding = v; return this; }
        public Builder maxCommittedSizePerReadyBytes(long v) { maxCommittedSizePerReadyBytes = v; return this; }
        public Builder applied(long v) { applied = v; return this; }
        public Builder stepDownOnRemoval(boolean v) { stepDownOnRemoval = v; return this; }
        /** Seed of the node's private random source (randomized election timeout). */
        public Builder randomSeed(long v) { randomSeed = v; return this; }
        /** Test-only deliberate bug; see {@link TestingFault}. */
        public Builder testingFault(TestingFault v) { testingFault = v; return this; }

        public Config build() {
            return new Config(id, electionTick, heartbeatTick, maxSizePerMsgBytes, maxInflightMsgs,
                    maxInflightBytes, maxUncommittedEntriesBytes, preVote, checkQuorum, readOnlyOption,
                    disableProposalForwarding, maxCommittedSizePerReadyBytes, applied, stepDownOnRemoval,
                    randomSeed, testingFault);
        }
    }
}
