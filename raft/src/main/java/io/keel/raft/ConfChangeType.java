package io.keel.raft;

/** One elementary membership operation. */
public enum ConfChangeType {
    ADD_NODE,
    REMOVE_NODE,
    ADD_LEARNER_NODE
}
