package io.keel.server.it;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Keel issue 2 acceptance: one scripted sequence of real etcdctl 3.4 commands (etcdctl-compat.script) gets
 * the same transcript from Keel as from real etcd 3.4 — exit codes, stdout and stderr of every command,
 * revisions and HashKV values included; only ids, terms, sizes, versions, ports and timestamps are masked
 * ({@link TranscriptMasker}). On mismatch the failure lists each differing command with a line diff; both
 * full transcripts are written to target/it-logs.
 */
class EtcdctlCompatIT {
    static final String SCRIPT = "etcdctl-compat.script";
    static final long MAX_REQUEST_BYTES = 65_536;
    /** etcd lets gRPC receive up to --max-request-bytes plus this, then rejects in the server. */
    static final long GRPC_OVERHEAD_BYTES = 512 * 1024;
    private static final Path OUT_DIR = Path.of("target", "it-logs");

    @Test
    void etcdctlGetsIdenticalAnswersFromKeelAndFromRealEtcd() {
        EtcdctlScript script = EtcdctlScript.load(SCRIPT);
        assertTooLargeValueIsBetweenTheLimits(script);
        ServerConfig config = ServerConfig.named("compat").withMaxRequestBytes(MAX_REQUEST_BYTES);

        EtcdctlTranscript reference;
        try (EtcdProcess etcd = EtcdProcess.started(config)) {
            reference = EtcdctlTranscript.record("etcd-3.4", script, etcd);
            etcd.stop();
        }
        Path referenceFile = reference.writeTo(OUT_DIR.resolve("etcdctl-compat-etcd.txt"));
        assertThat(reference.expectationFailures())
                .as("the script's own claims must hold on real etcd (else the script is wrong); transcript: "
                        + referenceFile.toAbsolutePath())
                .isEmpty();

        EtcdctlTranscript candidate;
        int keelExit;
        try (KeelProcess keel = KeelProcess.started(config)) {
            candidate = EtcdctlTranscript.record("keel", script, keel);
            keelExit = keel.stop();
        }
        Path candidateFile = candidate.writeTo(OUT_DIR.resolve("etcdctl-compat-keel.txt"));

        String differences = EtcdctlTranscript.differences(reference, candidate);
        if (!differences.isEmpty()) {
            fail(differences + "\nFull masked transcripts: " + referenceFile.toAbsolutePath() + " and "
                    + candidateFile.toAbsolutePath());
        }
        assertThat(keelExit).as("Keel's exit code after SIGTERM (0, or 143 = JVM default on SIGTERM)")
                .isIn(0, 143);
    }

    static void assertTooLargeValueIsBetweenTheLimits(EtcdctlScript script) {
        EtcdctlScript.Step tooBig = script.steps().stream()
                .filter(s -> s.expectedText() != null && s.expectedText().contains("request is too large"))
                .findFirst().orElseThrow(() -> new AssertionError("script lacks the request-too-large step"));
        assertThat((long) tooBig.stdin().length)
                .as("the too-large value must pass gRPC's limit and fail etcd's --max-request-bytes check")
                .isGreaterThan(MAX_REQUEST_BYTES)
                .isLessThan(MAX_REQUEST_BYTES + GRPC_OVERHEAD_BYTES - 1024);
    }
}
