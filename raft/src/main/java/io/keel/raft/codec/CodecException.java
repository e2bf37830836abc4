package io.keel.raft.codec;

import io.keel.raft.RaftException;

/** Input bytes are not a valid encoding (truncated, unknown version/type, absurd lengths). */
public final class CodecException extends RaftException {
    public CodecException(String message) {
        super(message);
    }
}
