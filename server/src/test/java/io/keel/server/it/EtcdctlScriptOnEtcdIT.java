package io.keel.server.it;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Self-check of the comparison harness against the reference alone: two fresh real etcd servers must give
 * identical masked transcripts for the compatibility script, and every claim the script makes must hold.
 * If this fails, the masking is too weak (something nondeterministic leaks through) or the script is
 * wrong — not Keel.
 */
class EtcdctlScriptOnEtcdIT {

    @Test
    void twoFreshEtcdServersGiveIdenticalTranscripts() {
        EtcdctlScript script = EtcdctlScript.load(EtcdctlCompatIT.SCRIPT);
        EtcdctlCompatIT.assertTooLargeValueIsBetweenTheLimits(script);
        ServerConfig config = ServerConfig.named("compat").withMaxRequestBytes(EtcdctlCompatIT.MAX_REQUEST_BYTES);

        EtcdctlTranscript first;
        EtcdctlTranscript second;
        try (EtcdProcess a = EtcdProcess.started(config); EtcdProcess b = EtcdProcess.started(config)) {
            first = EtcdctlTranscript.record("etcd-a", script, a);
            second = EtcdctlTranscript.record("etcd-b", script, b);
            // etcd re-raises SIGTERM after its cleanup, so it reports 143 (128 + 15)
            assertThat(a.stop()).as("etcd exit code after SIGTERM").isIn(0, 143);
            assertThat(b.stop()).as("etcd exit code after SIGTERM").isIn(0, 143);
        }
        Path file = first.writeTo(Path.of("target", "it-logs", "etcdctl-compat-etcd-selfcheck.txt"));

        assertThat(first.expectationFailures()).as("script claims; transcript " + file.toAbsolutePath()).isEmpty();
        assertThat(second.expectationFailures()).isEmpty();
        assertThat(EtcdctlTranscript.differences(first, second)).as("masked transcripts of two etcds").isEmpty();
        // the masked run really contains the unmasked facts the comparison relies on
        String rendered = first.render();
        assertThat(rendered).contains("\"revision\":", "\"hash\":", "\"raftIndex\":", "\"compact_revision\":6")
                .contains("<member-id-1>", "<cluster-id-1>", "<term-1>", "127.0.0.1:<client-port>")
                .doesNotContain("<member-id-2>", "<term-2>");
    }
}
