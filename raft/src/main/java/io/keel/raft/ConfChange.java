package io.keel.raft;

import java.util.List;
import java.util.Objects;

/**
 * A membership change proposal (etcd's ConfChangeV2 shape). An empty change list means "leave the joint
 * configuration". A single change on a non-joint configuration is applied directly.
 */
public record ConfChange(ConfChangeTransition transition, List<ConfChangeSingle> changes, byte[] context) {
    public ConfChange {
        Objects.requireNonNull(transition, "transition");
        changes = List.copyOf(changes);
        context = context == null ? new byte[0] : context.clone();
    }

    public static ConfChange of(ConfChangeType type, long nodeId) {
        return new ConfChange(ConfChangeTransition.AUTO, List.of(new ConfChangeSingle(type, nodeId)), null);
    }

    public static ConfChange leaveJoint() {
        return new ConfChange(ConfChangeTransition.AUTO, List.of(), null);
    }

    public boolean isLeaveJoint() {
        return changes.isEmpty();
    }

    /** Whether applying this change enters a joint configuration, and if so whether leaving is automatic. */
    public boolean entersJoint() {
        return !changes.isEmpty() && (transition != ConfChangeTransition.AUTO || changes.size() > 1);
    }

    public boolean autoLeave() {
        return entersJoint() && transition != ConfChangeTransition.EXPLICIT;
    }

    @Override
    public byte[] context() {
        return context.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConfChange c && c.transition == transition && c.changes.equals(changes)
                && java.util.Arrays.equals(c.context, context);
    }

    @Override
    public int hashCode() {
        return Objects.hash(transition, changes) * 31 + java.util.Arrays.hashCode(context);
    }
}
