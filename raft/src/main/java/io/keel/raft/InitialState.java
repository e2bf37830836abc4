package io.keel.raft;

/** What a node restarts from: the persisted hard state and the membership at the latest snapshot/config. */
public record InitialState(HardState hardState, ConfState confState) {
}
