package io.keel.server.it;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TranscriptMaskerTest {

    @Test
    void renamesIdsAndTermsByFirstAppearanceKeepingEqualities() {
        TranscriptMasker masker = new TranscriptMasker(23790, 23800, 0);
        String status = "{\"header\":{\"cluster_id\":111,\"member_id\":222,\"revision\":7,\"raft_term\":2},"
                + "\"leader\":222,\"raftIndex\":11,\"raftTerm\":2}";
        assertThat(masker.mask(status)).isEqualTo("{\"header\":{\"cluster_id\":<cluster-id-1>,"
                + "\"member_id\":<member-id-1>,\"revision\":7,\"raft_term\":<term-1>},"
                + "\"leader\":<member-id-1>,\"raftIndex\":11,\"raftTerm\":<term-1>}");
        // a different leader id stays visible as a different name; the same masker remembers earlier ids
        assertThat(masker.mask("{\"leader\":333,\"ID\":222,\"raft_term\":3}"))
                .isEqualTo("{\"leader\":<member-id-2>,\"ID\":<member-id-1>,\"raft_term\":<term-2>}");
    }

    @Test
    void idNamespacesAreSeparate() {
        TranscriptMasker masker = new TranscriptMasker(0, 0, 0);
        assertThat(masker.mask("\"cluster_id\":5,\"member_id\":5,\"raft_term\":5"))
                .isEqualTo("\"cluster_id\":<cluster-id-1>,\"member_id\":<member-id-1>,\"raft_term\":<term-1>");
    }

    @Test
    void leavesRevisionsHashesCountsAndKeyVersionsAlone() {
        TranscriptMasker masker = new TranscriptMasker(0, 0, 0);
        String text = "{\"kvs\":[{\"key\":\"YQ==\",\"create_revision\":2,\"mod_revision\":3,\"version\":2,"
                + "\"value\":\"MQ==\"}],\"count\":1,\"hash\":1827592406,\"compact_revision\":-1,"
                + "\"raftAppliedIndex\":9}";
        assertThat(masker.mask(text)).isEqualTo(text);
    }

    @Test
    void masksSizesVersionStringsTimestampsAndClientIds() {
        TranscriptMasker masker = new TranscriptMasker(0, 0, 0);
        assertThat(masker.mask("\"version\":\"3.4.23\",\"dbSize\":20480,\"dbSizeInUse\":16384"))
                .isEqualTo("\"version\":\"<version>\",\"dbSize\":<bytes>,\"dbSizeInUse\":<bytes>");
        assertThat(masker.mask("{\"level\":\"warn\",\"ts\":\"2026-11-22T02:26:14.186Z\",\"target\":"
                + "\"endpoint://client-cc2216ef-4311-47bb-bb33-3a4d8425d80e/127.0.0.1:1\"}"))
                .isEqualTo("{\"level\":\"warn\",\"ts\":\"<timestamp>\",\"target\":"
                        + "\"endpoint://client-<uuid>/127.0.0.1:1\"}");
    }

    @Test
    void masksOnlyThisServersOwnPortsByRole() {
        TranscriptMasker masker = new TranscriptMasker(2379, 2380, 2381);
        assertThat(masker.mask("127.0.0.1:2379, 127.0.0.1:23790, http://127.0.0.1:2380 127.0.0.1:2381"))
                .isEqualTo("127.0.0.1:<client-port>, 127.0.0.1:23790, http://127.0.0.1:<peer-port> "
                        + "127.0.0.1:<metrics-port>");
    }

    @Test
    void errorTextsPassThroughUnchanged() {
        TranscriptMasker masker = new TranscriptMasker(0, 0, 0);
        String error = "Error: etcdserver: mvcc: required revision has been compacted\n";
        assertThat(masker.mask(error)).isEqualTo(error);
    }
}
