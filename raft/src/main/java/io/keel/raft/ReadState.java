package io.keel.raft;

/**
 * Result of a ReadIndex request: once the local applied index reaches {@code index}, the read identified by
 * {@code context} may be served linearizably.
 */
public record ReadState(long index, byte[] requestContext) {
    public ReadState {
        requestContext = requestContext == null ? new byte[0] : requestContext.clone();
    }

    @Override
    public byte[] requestContext() {
        return requestContext.clone();
    }
}
