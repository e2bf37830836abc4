package io.keel.raft;

/**
 * How a {@link ConfChange} with several changes is carried out. AUTO: simple if possible, else joint with
 * automatic leave. IMPLICIT: joint with automatic leave. EXPLICIT: joint; the application proposes the leave.
 */
public enum ConfChangeTransition {
    AUTO,
    IMPLICIT,
    EXPLICIT
}
