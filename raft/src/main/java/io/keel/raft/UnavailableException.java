package io.keel.raft;

/** Requested index is beyond the storage's last index. */
public final class UnavailableException extends RaftException {
    public UnavailableException(long index, long lastIndex) {
        super("index " + index + " unavailable (last index " + lastIndex + ")");
    }
}
