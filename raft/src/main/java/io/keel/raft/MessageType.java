package io.keel.raft;

/** Message kinds. LOCAL ones never cross the network (HUP, BEAT, UNREACHABLE, SNAP_STATUS, CHECK_QUORUM). */
public enum MessageType {
    HUP(true),
    BEAT(true),
    PROP(false),
    APP(false),
    APP_RESP(false),
    VOTE(false),
    VOTE_RESP(false),
    PRE_VOTE(false),
    PRE_VOTE_RESP(false),
    SNAP(false),
    HEARTBEAT(false),
    HEARTBEAT_RESP(false),
    UNREACHABLE(true),
    SNAP_STATUS(true),
    CHECK_QUORUM(true),
    TRANSFER_LEADER(false),
    TIMEOUT_NOW(false),
    READ_INDEX(false),
    READ_INDEX_RESP(false);

    private final boolean local;

    MessageType(boolean local) {
        this.local = local;
    }

    public boolean isLocal() {
        return local;
    }

    public boolean isResponse() {
        return this == APP_RESP || this == VOTE_RESP || this == PRE_VOTE_RESP || this == HEARTBEAT_RESP
                || this == UNREACHABLE || this == READ_INDEX_RESP;
    }

    /** The response type for a (pre-)vote request. */
    public MessageType voteResponse() {
        return switch (this) {
            case VOTE -> VOTE_RESP;
            case PRE_VOTE -> PRE_VOTE_RESP;
            default -> throw new IllegalStateException("not a vote message: " + this);
        };
    }
}
