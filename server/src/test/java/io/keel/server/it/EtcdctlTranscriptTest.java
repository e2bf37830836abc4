package io.keel.server.it;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EtcdctlTranscriptTest {
    private static final EtcdctlScript SCRIPT = EtcdctlScript.parse("""
            put a 1 => 0 "OK"
            [before] get a -w json
            put "" x => 1 "key is not provided"
            [after=before] get a -w json
            """);

    private static List<Etcdctl.Result> results(String memberId, long revisionAfter, String error) {
        String header = "{\"header\":{\"cluster_id\":9,\"member_id\":" + memberId + ",\"revision\":";
        return List.of(
                new Etcdctl.Result(0, "OK\n", ""),
                new Etcdctl.Result(0, header + "2}}", ""),
                new Etcdctl.Result(1, "", "Error: " + error + "\n"),
                new Etcdctl.Result(0, header + revisionAfter + "}}", ""));
    }

    private static EtcdctlTranscript transcript(String label, List<Etcdctl.Result> results) {
        return EtcdctlTranscript.of(label, SCRIPT, results, new TranscriptMasker(0, 0, 0));
    }

    @Test
    void transcriptsDifferingOnlyInMaskedIdsAreIdentical() {
        EtcdctlTranscript a = transcript("etcd", results("17", 2, "etcdserver: key is not provided"));
        EtcdctlTranscript b = transcript("keel", results("4242", 2, "etcdserver: key is not provided"));
        assertThat(EtcdctlTranscript.differences(a, b)).isEmpty();
        assertThat(a.expectationFailures()).isEmpty();
        assertThat(b.expectationFailures()).isEmpty();
        assertThat(a.render()).contains("#2 $ etcdctl get a -w json", "<member-id-1>", "\"revision\":2");
    }

    @Test
    void aRevisionDifferenceIsReportedPerCommandWithALineDiff() {
        EtcdctlTranscript a = transcript("etcd", results("17", 2, "etcdserver: key is not provided"));
        EtcdctlTranscript b = transcript("keel", results("17", 3, "etcdserver: key is not provided"));
        String report = EtcdctlTranscript.differences(a, b);
        assertThat(report).startsWith("1 of 4 etcdctl commands differ between etcd and keel")
                .contains("=== step #4 (script line 4): etcdctl get a -w json")
                .contains("--- etcd (reference)", "+++ keel")
                .contains("- out| {\"header\":{\"cluster_id\":<cluster-id-1>,\"member_id\":<member-id-1>,"
                        + "\"revision\":2}}  (no newline at end)")
                .contains("+ out| {\"header\":{\"cluster_id\":<cluster-id-1>,\"member_id\":<member-id-1>,"
                        + "\"revision\":3}}  (no newline at end)")
                .contains("  $ etcdctl get a -w json");
        // the [after=before] claim also catches the changed data within the candidate run
        assertThat(b.expectationFailures()).singleElement().asString()
                .contains("step #4").contains("differs from step [before]");
    }

    @Test
    void wrongErrorTextOrExitCodeBreaksTheScriptExpectation() {
        EtcdctlTranscript bad = transcript("keel", results("17", 2, "something else"));
        assertThat(bad.expectationFailures()).singleElement().asString()
                .contains("step #3").contains("lacks \"key is not provided\"");
        EtcdctlTranscript good = transcript("etcd", results("17", 2, "etcdserver: key is not provided"));
        assertThat(EtcdctlTranscript.differences(good, bad)).contains("=== step #3")
                .contains("- err| Error: etcdserver: key is not provided")
                .contains("+ err| Error: something else");
    }

    @Test
    void lineDiffKeepsCommonLinesAndOrdersRemovalsFirst() {
        assertThat(LineDiff.diff(List.of("a", "b", "c"), List.of("a", "x", "c")))
                .containsExactly("  a", "- b", "+ x", "  c");
        assertThat(LineDiff.diff(List.of(), List.of("n"))).containsExactly("+ n");
        assertThat(LineDiff.diff(List.of("o"), List.of())).containsExactly("- o");
    }
}
