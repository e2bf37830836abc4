package io.keel.raft.codec;

import io.keel.raft.ConfChange;
import io.keel.raft.ConfChangeSingle;
import io.keel.raft.ConfChangeTransition;
import io.keel.raft.ConfChangeType;
import io.keel.raft.ConfState;
import io.keel.raft.Entry;
import io.keel.raft.EntryType;
import io.keel.raft.HardState;
import io.keel.raft.Message;
import io.keel.raft.MessageType;
import io.keel.raft.Snapshot;
import io.keel.raft.SnapshotMetadata;
import java.util.ArrayList;
import java.util.List;

/**
 * Compact, versioned binary encoding of Raft types for the network and the WAL. Every top-level encoding
 * starts with a format version byte ({@link #VERSION}); integers are unsigned LEB128 varints; byte arrays
 * are length-prefixed. Decoders validate everything and throw {@link CodecException} on bad input.
 * Enum values are encoded by a stable explicit code (not by ordinal) so enums may be reordered safely.
 */
public final class RaftCodec {
    public static final int VERSION = 1;

    private static final MessageType[] MSG_TYPES = {
        MessageType.HUP, MessageType.BEAT, MessageType.PROP, MessageType.APP, MessageType.APP_RESP,
        MessageType.VOTE, MessageType.VOTE_RESP, MessageType.PRE_VOTE, MessageType.PRE_VOTE_RESP,
        MessageType.SNAP, MessageType.HEARTBEAT, MessageType.HEARTBEAT_RESP, MessageType.UNREACHABLE,
        MessageType.SNAP_STATUS, MessageType.CHECK_QUORUM, MessageType.TRANSFER_LEADER, MessageType.TIMEOUT_NOW,
        MessageType.READ_INDEX, MessageType.READ_INDEX_RESP,
    };
    private static final EntryType[] ENTRY_TYPES = {EntryType.NORMAL, EntryType.CONF_CHANGE};
    private static final ConfChangeType[] CC_TYPES = {
        ConfChangeType.ADD_NODE, ConfChangeType.REMOVE_NODE, ConfChangeType.ADD_LEARNER_NODE};
    private static final ConfChangeTransition[] TRANSITIONS = {
        ConfChangeTransition.AUTO, ConfChangeTransition.IMPLICIT, ConfChangeTransition.EXPLICIT};

    private RaftCodec() {
    }

    private static <T> int code(T[] table, T v) {
        for (int i = 0; i < table.length; i++) {
            if (table[i] == v) {
                return i;
            }
        }
        throw new IllegalArgumentException("no code for " + v);
    }

    private static <T> T decodeEnum(T[] table, int c, String what) {
        if (c < 0 || c >= table.length) {
            throw new CodecException("unknown " + what + " code " + c);
        }
        return table[c];
    }

    private static ByteReader open(byte[] b) {
        ByteReader r = new ByteReader(b);
        int v = r.u8();
        if (v != VERSION) {
            throw new CodecException("unsupported codec version " + v + " (expected " + VERSION + ")");
        }
        return r;
    }

    // ---- Entry --------------------------------------------------------------------------------------

    public static byte[] encodeEntry(Entry e) {
        ByteWriter w = new ByteWriter(e.dataLength() + 16);
        w.u8(VERSION);
        writeEntry(w, e);
        return w.toByteArray();
    }

    public static Entry decodeEntry(byte[] b) {
        ByteReader r = open(b);
        Entry e = readEntry(r);
        r.expectEnd();
        return e;
    }

    private static void writeEntry(ByteWriter w, Entry e) {
        w.varint(e.term());
        w.varint(e.index());
        w.u8(code(ENTRY_TYPES, e.type()));
        w.bytes(e.data());
    }

    private static Entry readEntry(ByteReader r) {
        long term = r.varint();
        long index = r.varint();
        EntryType t = decodeEnum(ENTRY_TYPES, r.u8(), "entry type");
        return new Entry(term, index, t, r.bytes());
    }

    // ---- HardState ----------------------------------------------------------------------------------

    public static byte[] encodeHardState(HardState hs) {
        ByteWriter w = new ByteWriter(32);
        w.u8(VERSION);
        w.varint(hs.term());
        w.varint(hs.vote());
        w.varint(hs.commit());
        return w.toByteArray();
    }

    public static HardState decodeHardState(byte[] b) {
        ByteReader r = open(b);
        HardState hs = new HardState(r.varint(), r.varint(), r.varint());
        r.expectEnd();
        return hs;
    }

    // ---- ConfState / ConfChange / Snapshot ----------------------------------------------------------

    private static void writeIds(ByteWriter w, List<Long> ids) {
        w.varint(ids.size());
        for (long id : ids) {
            w.varint(id);
        }
    }

    private static List<Long> readIds(ByteReader r) {
        int n = r.count(1);
        List<Long> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(r.varint());
        }
        return out;
    }

    private static void writeConfState(ByteWriter w, ConfState cs) {
        writeIds(w, cs.voters());
        writeIds(w, cs.learners());
        writeIds(w, cs.votersOutgoing());
        writeIds(w, cs.learnersNext());
        w.u8(cs.autoLeave() ? 1 : 0);
    }

    private static ConfState readConfState(ByteReader r) {
        return new ConfState(readIds(r), readIds(r), readIds(r), readIds(r), r.bool());
    }

    public static byte[] encodeConfState(ConfState cs) {
        ByteWriter w = new ByteWriter(32);
        w.u8(VERSION);
        writeConfState(w, cs);
        return w.toByteArray();
    }

    public static ConfState decodeConfState(byte[] b) {
        ByteReader r = open(b);
        ConfState cs = readConfState(r);
        r.expectEnd();
        return cs;
    }

    public static byte[] encodeConfChange(ConfChange cc) {
        ByteWriter w = new ByteWriter(32);
        w.u8(VERSION);
        w.u8(code(TRANSITIONS, cc.transition()));
        w.varint(cc.changes().size());
        for (ConfChangeSingle s : cc.changes()) {
            w.u8(code(CC_TYPES, s.type()));
            w.varint(s.nodeId());
        }
        w.bytes(cc.context());
        return w.toByteArray();
    }

    public static ConfChange decodeConfChange(byte[] b) {
        ByteReader r = open(b);
        ConfChangeTransition t = decodeEnum(TRANSITIONS, r.u8(), "conf change transition");
        int n = r.count(2);
        List<ConfChangeSingle> changes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ConfChangeType ct = decodeEnum(CC_TYPES, r.u8(), "conf change type");
            long id = r.varint();
            if (id == 0) {
                throw new CodecException("conf change for node id 0");
            }
            changes.add(new ConfChangeSingle(ct, id));
        }
        byte[] ctx = r.bytes();
        r.expectEnd();
        return new ConfChange(t, changes, ctx);
    }

    private static void writeSnapshot(ByteWriter w, Snapshot s) {
        writeSnapshotMetadata(w, s.metadata());
        w.bytes(s.data());
    }

    private static void writeSnapshotMetadata(ByteWriter w, SnapshotMetadata md) {
        w.varint(md.index());
        w.varint(md.term());
        writeConfState(w, md.confState());
    }

    private static SnapshotMetadata readSnapshotMetadata(ByteReader r) {
        long index = r.varint();
        long term = r.varint();
        return new SnapshotMetadata(readConfState(r), index, term);
    }

    public static byte[] encodeSnapshotMetadata(SnapshotMetadata md) {
        ByteWriter w = new ByteWriter(32);
        w.u8(VERSION);
        writeSnapshotMetadata(w, md);
        return w.toByteArray();
    }

    public static SnapshotMetadata decodeSnapshotMetadata(byte[] b) {
        ByteReader r = open(b);
        SnapshotMetadata md = readSnapshotMetadata(r);
        r.expectEnd();
        return md;
    }

    public static byte[] encodeSnapshot(Snapshot s) {
        ByteWriter w = new ByteWriter(64);
        w.u8(VERSION);
        writeSnapshot(w, s);
        return w.toByteArray();
    }

    public static Snapshot decodeSnapshot(byte[] b) {
        ByteReader r = open(b);
        Snapshot s = new Snapshot(readSnapshotMetadata(r), r.bytes());
        r.expectEnd();
        return s;
    }

    // ---- Message ------------------------------------------------------------------------------------

    public static byte[] encodeMessage(Message m) {
        ByteWriter w = new ByteWriter(64);
        w.u8(VERSION);
        w.u8(code(MSG_TYPES, m.type()));
        w.varint(m.to());
        w.varint(m.from());
        w.varint(m.term());
        w.varint(m.logTerm());
        w.varint(m.index());
        w.varint(m.commit());
        w.varint(m.rejectHint());
        w.u8((m.reject() ? 1 : 0) | (m.snapshot() != null ? 2 : 0));
        w.bytes(m.context());
        w.varint(m.entries().size());
        for (Entry e : m.entries()) {
            writeEntry(w, e);
        }
        if (m.snapshot() != null) {
            writeSnapshot(w, m.snapshot());
        }
        return w.toByteArray();
    }

    public static Message decodeMessage(byte[] b) {
        ByteReader r = open(b);
        Message.Builder mb = Message.builder(decodeEnum(MSG_TYPES, r.u8(), "message type"));
        mb.to(r.varint()).from(r.varint()).term(r.varint()).logTerm(r.varint()).index(r.varint())
                .commit(r.varint()).rejectHint(r.varint());
        int flags = r.u8();
        if ((flags & ~3) != 0) {
            throw new CodecException("unknown message flags " + flags);
        }
        mb.reject((flags & 1) != 0);
        mb.context(r.bytes());
        int n = r.count(4);
        List<Entry> ents = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ents.add(readEntry(r));
        }
        mb.entries(ents);
        if ((flags & 2) != 0) {
            mb.snapshot(new Snapshot(readSnapshotMetadata(r), r.bytes()));
        }
        r.expectEnd();
        return mb.build();
    }
}
