package io.keel.raft;

import java.util.List;

/**
 * One batch of work for the application, processed in this order: (1) persist {@code snapshot},
 * {@code entries} and {@code hardState} (durably if {@code mustSync}); (2) send {@code messages} (they may
 * depend on step 1); (3) apply {@code snapshot} then {@code committedEntries}; (4) call
 * {@link RaftNode#advance(Ready)}. {@code softState}/{@code hardState}/{@code snapshot} are null when unchanged.
 */
public record Ready(SoftState softState, HardState hardState, List<ReadState> readStates, List<Entry> entries,
                    Snapshot snapshot, List<Entry> committedEntries, List<Message> messages, boolean mustSync) {
    public Ready {
        readStates = List.copyOf(readStates);
        entries = List.copyOf(entries);
        committedEntries = List.copyOf(committedEntries);
        messages = List.copyOf(messages);
    }

    public boolean isEmpty() {
        return softState == null && hardState == null && readStates.isEmpty() && entries.isEmpty()
                && snapshot == null && committedEntries.isEmpty() && messages.isEmpty();
    }
}
