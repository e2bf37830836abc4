package io.keel.raft;

/** Observable role of a node. */
public enum StateRole {
    FOLLOWER,
    PRE_CANDIDATE,
    CANDIDATE,
    LEADER
}
