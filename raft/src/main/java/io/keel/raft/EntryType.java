package io.keel.raft;

/** Kind of a log entry: an application command or a membership change ({@link ConfChange} payload). */
public enum EntryType {
    NORMAL,
    CONF_CHANGE
}
