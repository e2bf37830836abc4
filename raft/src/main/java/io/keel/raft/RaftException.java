package io.keel.raft;

/** Base for errors returned to callers of the Raft API (bad input, dropped proposals, storage gaps). */
public class RaftException extends RuntimeException {
    public RaftException(String message) {
        super(message);
    }
}
