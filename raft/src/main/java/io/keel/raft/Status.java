package io.keel.raft;

import java.util.Map;

/** A read-only snapshot of a node's state for observability and tests. */
public record Status(long id, long term, long vote, long commit, long applied, long lastIndex, long leaderId,
                     StateRole role, ConfState confState, Map<Long, String> progress, long leadTransferee,
                     long uncommittedBytes) {
}
