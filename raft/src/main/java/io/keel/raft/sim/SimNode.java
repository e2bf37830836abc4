package io.keel.raft.sim;

import io.keel.raft.Config;
import io.keel.raft.ConfState;
import io.keel.raft.MemoryStorage;
import io.keel.raft.RaftNode;

/**
 * One simulated server: a durable "disk" (MemoryStorage + hard state, written only when the simulator
 * persists a Ready) and, while up, a volatile RaftNode plus its in-memory state machine (a hash chain).
 */
final class SimNode {
    final long id;
    final MemoryStorage disk;
    Config config;
    RaftNode raft; // null while crashed
    long appliedIndex;
    long appliedChain;
    ConfState conf;
    ConfState prevConf;
    long persistedCommit;
    boolean wasLeader;
    int downUntilStep = -1;

    SimNode(long id, MemoryStorage disk, Config config, ConfState conf) {
        this.id = id;
        this.disk = disk;
        this.config = config;
        this.conf = conf;
        this.prevConf = conf;
    }

    boolean up() {
        return raft != null;
    }
}
