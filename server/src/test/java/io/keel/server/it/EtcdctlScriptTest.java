package io.keel.server.it;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EtcdctlScriptTest {

    @Test
    void parsesArgumentsQuotesLabelsAndExpectations() {
        EtcdctlScript script = EtcdctlScript.parse("""
                # comment
                put foo bar => 0 "OK"

                [snap] get "" --from-key -w json
                put 'a b' "say \\"hi\\"" => 1
                [again=snap] get "" --from-key -w json
                """);
        List<EtcdctlScript.Step> steps = script.steps();
        assertThat(steps).hasSize(4);
        assertThat(steps.get(0).args()).containsExactly("put", "foo", "bar");
        assertThat(steps.get(0).expectedExit()).isZero();
        assertThat(steps.get(0).expectedText()).isEqualTo("OK");
        assertThat(steps.get(0).line()).isEqualTo(2);
        assertThat(steps.get(1).label()).isEqualTo("snap");
        assertThat(steps.get(1).args()).containsExactly("get", "", "--from-key", "-w", "json");
        assertThat(steps.get(1).expectedExit()).isNull();
        assertThat(steps.get(2).args()).containsExactly("put", "a b", "say \"hi\"");
        assertThat(steps.get(2).expectedText()).isNull();
        assertThat(steps.get(2).display()).isEqualTo("etcdctl put \"a b\" \"say \\\"hi\\\"\"");
        assertThat(steps.get(3).label()).isEqualTo("again");
        assertThat(steps.get(3).sameAs()).isEqualTo("snap");
        assertThat(steps.get(3).number()).isEqualTo(4);
        assertThat(steps.get(1).display()).isEqualTo("etcdctl get \"\" --from-key -w json");
    }

    @Test
    void heredocKeepsBlankLinesAndExpandsRepeat() {
        EtcdctlScript script = EtcdctlScript.parse("""
                txn <<EOF => 1 "too many"
                value("a") = "1"

                %repeat 3 put k%i v

                EOF
                get a
                """);
        assertThat(script.steps()).hasSize(2);
        EtcdctlScript.Step txn = script.steps().get(0);
        assertThat(txn.args()).containsExactly("txn");
        assertThat(new String(txn.stdin(), StandardCharsets.UTF_8))
                .isEqualTo("value(\"a\") = \"1\"\n\nput k1 v\nput k2 v\nput k3 v\n\n");
        assertThat(txn.expectedExit()).isEqualTo(1);
        assertThat(txn.expectedText()).isEqualTo("too many");
        assertThat(script.steps().get(1).args()).containsExactly("get", "a");
        assertThat(script.steps().get(1).line()).isEqualTo(7);
    }

    @Test
    void bytesStdinIsRepeatedCharacterWithoutNewline() {
        EtcdctlScript.Step step = EtcdctlScript.parse("put big <<BYTES 5 x => 0").steps().get(0);
        assertThat(step.args()).containsExactly("put", "big");
        assertThat(step.stdin()).containsExactly('x', 'x', 'x', 'x', 'x');
        assertThat(step.stdinDisplay()).containsExactly("5 bytes of 'x'");
    }

    @Test
    void longStdinIsShortenedForDisplay() {
        EtcdctlScript.Step step = EtcdctlScript.parse("txn <<EOF\n\n%repeat 50 put k%i v\n\nEOF").steps().get(0);
        List<String> shown = step.stdinDisplay();
        assertThat(shown).hasSizeLessThanOrEqualTo(12).contains("put k1 v").anyMatch(l -> l.contains("more lines"));
    }

    @Test
    void rejectsMalformedScriptsWithLineNumbers() {
        assertThatThrownBy(() -> EtcdctlScript.parse("get a\ntxn <<EOF\nput a b\n"))
                .hasMessageContaining("line 2").hasMessageContaining("not terminated");
        assertThatThrownBy(() -> EtcdctlScript.parse("[x=nope] get a"))
                .hasMessageContaining("no earlier label nope");
        assertThatThrownBy(() -> EtcdctlScript.parse("[x] get a\n[x] get b"))
                .hasMessageContaining("line 2").hasMessageContaining("duplicate label");
        assertThatThrownBy(() -> EtcdctlScript.parse("put a <<BYTES lots x"))
                .hasMessageContaining("not a number");
        assertThatThrownBy(() -> EtcdctlScript.parse("put a <<BYTES 0 x"))
                .hasMessageContaining("count must be");
        assertThatThrownBy(() -> EtcdctlScript.parse("get a => ok"))
                .hasMessageContaining("exit code");
        assertThatThrownBy(() -> EtcdctlScript.parse("get \"a")).hasMessageContaining("unterminated");
        assertThatThrownBy(() -> EtcdctlScript.parse("=> 0")).hasMessageContaining("no etcdctl arguments");
        assertThatThrownBy(() -> EtcdctlScript.parse("# only a comment\n")).hasMessageContaining("no commands");
    }

    /** The acceptance script keeps covering everything issue 2 asks for. */
    @Test
    void compatScriptCoversEveryRequiredCommandAndError() {
        EtcdctlScript script = EtcdctlScript.load(EtcdctlCompatIT.SCRIPT);
        List<String> commands = script.steps().stream().map(s -> " " + String.join(" ", s.args()) + " ").toList();
        String stdins = script.steps().stream().map(s -> new String(s.stdin(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("\n"));
        List<String> expected = script.steps().stream().filter(s -> s.expectedText() != null)
                .map(EtcdctlScript.Step::expectedText).toList();

        for (String needle : List.of(" put ", " get ", "--prefix", "--from-key", "--rev", "--limit", "--keys-only",
                "--sort-by=", "--order=", "-w json", " del ", "--prev-kv", " txn ", " compaction ",
                " endpoint status -w json ", " endpoint hashkv ", " member list -w json ")) {
            assertThat(commands).as("a command with '%s'", needle).anyMatch(c -> c.contains(needle));
        }
        assertThat(commands).anyMatch(c -> c.startsWith(" del ") && c.contains("--prefix"));
        assertThat(stdins).contains("value(", "mod(", "create(", "ver(");
        assertThat(expected).contains("SUCCESS", "FAILURE",
                "etcdserver: key is not provided",
                "etcdserver: request is too large",
                "etcdserver: too many operations in txn request",
                "etcdserver: duplicate key given in txn request",
                "etcdserver: mvcc: required revision has been compacted",
                "etcdserver: mvcc: required revision is a future revision");
        EtcdctlScript.Step last = script.steps().stream().filter(s -> s.sameAs() != null).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no [after=before] data check"));
        assertThat(last.args()).containsExactly("get", "", "--from-key", "-w", "json");
        EtcdctlCompatIT.assertTooLargeValueIsBetweenTheLimits(script);
    }
}
