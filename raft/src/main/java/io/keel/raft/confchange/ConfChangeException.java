package io.keel.raft.confchange;

import io.keel.raft.RaftException;

/** A configuration change was invalid (e.g. removing all voters, entering joint twice). */
public final class ConfChangeException extends RaftException {
    public ConfChangeException(String message) {
        super(message);
    }
}
