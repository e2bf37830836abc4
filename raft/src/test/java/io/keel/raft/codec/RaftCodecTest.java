package io.keel.raft.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class RaftCodecTest {
    private static List<Long> ids(Random r) {
        List<Long> out = new ArrayList<>();
        for (int i = r.nextInt(4); i > 0; i--) {
            out.add(1 + (long) r.nextInt(1 << 20));
        }
        return out;
    }

    private static Message randomMessage(long seed) {
        Random r = new Random(seed);
        MessageType t = MessageType.values()[r.nextInt(MessageType.values().length)];
        List<Entry> ents = new ArrayList<>();
        for (int i = r.nextInt(4); i > 0; i--) {
            byte[] d = new byte[r.nextInt(40)];
            r.nextBytes(d);
            ents.add(new Entry(r.nextLong() & Long.MAX_VALUE, r.nextInt(1000), EntryType.values()[r.nextInt(2)], d));
        }
        Snapshot snap = r.nextBoolean() ? null : new Snapshot(new SnapshotMetadata(new ConfState(ids(r), ids(r),
                ids(r), ids(r), r.nextBoolean()), r.nextInt(1 << 30), r.nextInt(100)), new byte[r.nextInt(10)]);
        byte[] ctx = new byte[r.nextInt(3) * 5];
        r.nextBytes(ctx);
        return Message.builder(t).to(r.nextInt(10)).from(r.nextInt(10)).term(r.nextLong() & Long.MAX_VALUE)
                .logTerm(r.nextInt(50)).index(r.nextLong() & Long.MAX_VALUE).commit(r.nextInt(1 << 20)).entries(ents)
                .snapshot(snap).reject(r.nextBoolean()).rejectHint(r.nextInt(100)).context(ctx).build();
    }

    @Property(tries = 300)
    void messagesRoundTrip(@ForAll long seed) {
        Message m = randomMessage(seed);
        assertThat(RaftCodec.decodeMessage(RaftCodec.encodeMessage(m))).isEqualTo(m);
    }

    @Property(tries = 200)
    void truncatedOrCorruptedMessagesFailCleanly(@ForAll long seed, @ForAll @LongRange(min = 0, max = 1000) long cutAt) {
        byte[] enc = RaftCodec.encodeMessage(randomMessage(seed));
        byte[] cut = java.util.Arrays.copyOf(enc, (int) (cutAt % enc.length));
        assertThatThrownBy(() -> RaftCodec.decodeMessage(cut)).isInstanceOf(CodecException.class);
        byte[] flipped = enc.clone();
        flipped[(int) (cutAt % enc.length)] ^= (byte) 0xA5;
        try {
            RaftCodec.decodeMessage(flipped); // may decode to a different valid message; must never crash/OOM
        } catch (CodecException | IllegalArgumentException expected) {
            // clear error
        }
    }

    @Test
    void otherTypesRoundTrip() {
        Entry e = new Entry(3, 9, EntryType.CONF_CHANGE, new byte[] {1, 2, 3});
        assertThat(RaftCodec.decodeEntry(RaftCodec.encodeEntry(e))).isEqualTo(e);
        HardState hs = new HardState(7, 2, 99);
        assertThat(RaftCodec.decodeHardState(RaftCodec.encodeHardState(hs))).isEqualTo(hs);
        ConfChange cc = new ConfChange(ConfChangeTransition.EXPLICIT, List.of(
                new ConfChangeSingle(ConfChangeType.ADD_NODE, 4), new ConfChangeSingle(ConfChangeType.REMOVE_NODE, 1)),
                new byte[] {9});
        assertThat(RaftCodec.decodeConfChange(RaftCodec.encodeConfChange(cc))).isEqualTo(cc);
        ConfState cs = new ConfState(List.of(1L, 2L), List.of(3L), List.of(1L, 5L), List.of(5L), true);
        assertThat(RaftCodec.decodeConfState(RaftCodec.encodeConfState(cs))).isEqualTo(cs);
        SnapshotMetadata md = new SnapshotMetadata(cs, 100, 4);
        assertThat(RaftCodec.decodeSnapshotMetadata(RaftCodec.encodeSnapshotMetadata(md))).isEqualTo(md);
        Snapshot s = new Snapshot(md, new byte[] {7, 7});
        assertThat(RaftCodec.decodeSnapshot(RaftCodec.encodeSnapshot(s))).isEqualTo(s);
    }

    @Test
    void rejectsUnknownVersionTrailingBytesAndHugeLengths() {
        byte[] hs = RaftCodec.encodeHardState(new HardState(1, 1, 1));
        hs[0] = 9;
        assertThatThrownBy(() -> RaftCodec.decodeHardState(hs)).isInstanceOf(CodecException.class)
                .hasMessageContaining("version 9");
        byte[] ok = RaftCodec.encodeHardState(new HardState(1, 1, 1));
        byte[] trailing = java.util.Arrays.copyOf(ok, ok.length + 1);
        assertThatThrownBy(() -> RaftCodec.decodeHardState(trailing)).hasMessageContaining("trailing");
        // entry claiming a 2^40-byte payload
        byte[] huge = {1, 1, 1, 0, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x20};
        assertThatThrownBy(() -> RaftCodec.decodeEntry(huge)).isInstanceOf(CodecException.class)
                .hasMessageContaining("exceeds remaining");
        assertThatThrownBy(() -> RaftCodec.decodeMessage(new byte[0])).isInstanceOf(CodecException.class);
        assertThatThrownBy(() -> RaftCodec.decodeMessage(null)).isInstanceOf(CodecException.class);
    }

    @Test
    void encodingIsCompact() {
        Message hb = Message.builder(MessageType.HEARTBEAT).to(2).from(1).term(5).commit(100).build();
        assertThat(RaftCodec.encodeMessage(hb).length).isLessThanOrEqualTo(16);
    }
}
