package io.keel.chaos.fs;

import static org.assertj.core.api.Assertions.assertThat;

import io.keel.chaos.NativeTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lost-writes model without Docker: the ledger shim (chaos/src/main/c/fsledger.c, compiled here with gcc,
 * which scripts/build-node-image.sh installs) is preloaded into a child JVM that writes and syncs through
 * FileChannel as Keel's WAL does; keel-fsrevert then puts the files back to their synced state.
 */
class FsLedgerTest {
  @TempDir static Path tools;
  @TempDir Path dir;
  private static Path shim;
  private static Path revert;

  @BeforeAll
  static void compile() throws Exception {
    shim = NativeTools.compile("fsledger.c", tools.resolve("libkeelfsledger.so"), true);
    revert = NativeTools.compile("fsrevert.c", tools.resolve("keel-fsrevert"), false);
  }

  @Test
  void revertKeepsExactlyWhatWasSynced() throws Exception {
    Path root = Files.createDirectories(dir.resolve("data"));
    Path ledger = dir.resolve("ledger");
    Path manifest = dir.resolve("manifest");
    run(Map.of(), revert.toString(), "manifest", root.toString(), manifest.toString());
    child(root, ledger, "first");

    String lines = Files.readString(ledger);
    assertThat(lines).as("ledger").containsPattern("(?m)^C \\d+ 0 " + root + "/seg.wal$")
        .containsPattern("(?m)^S \\d+ 8192 " + root + "/seg.wal$")
        .containsPattern("(?m)^D \\d+ 4 " + root + "/seg.wal$")
        .containsPattern("(?m)^S \\d+ 3 " + root + "/log.txt$")
        .containsPattern("(?m)^C \\d+ 0 " + root + "/never.txt$")
        .containsPattern("(?m)^P \\d+ 0 " + root + "$")
        .doesNotContain("outside.txt");

    String out = run(Map.of(), revert.toString(), "revert", root.toString(), ledger.toString(), manifest.toString());
    assertThat(out).contains("1 files deleted, 2 truncated, 1 zeroed");
    byte[] seg = Files.readAllBytes(root.resolve("seg.wal"));
    assertThat(seg).hasSize(8192);
    assertThat(new String(seg, 0, 4, StandardCharsets.UTF_8)).isEqualTo("rec1");
    assertThat(new String(seg, 4, 4, StandardCharsets.UTF_8)).as("the unsynced record").isEqualTo("\0\0\0\0");
    assertThat(Files.readString(root.resolve("log.txt"))).isEqualTo("abc");
    assertThat(root.resolve("never.txt")).as("created after the directory's last fsync").doesNotExist();
    assertThat(root.resolve("dirsynced.txt")).as("entry synced with its directory, content never").isEmptyFile();
    assertThat(dir.resolve("outside.txt")).hasContent("untracked");

    // The next incarnation appends to a file it did not create and never syncs: back to its size at the start.
    run(Map.of(), revert.toString(), "manifest", root.toString(), manifest.toString());
    Files.writeString(ledger, "");
    child(root, ledger, "second");
    assertThat(Files.readString(root.resolve("log.txt"))).isEqualTo("abcghi");
    run(Map.of(), revert.toString(), "revert", root.toString(), ledger.toString(), manifest.toString());
    assertThat(Files.readString(root.resolve("log.txt"))).isEqualTo("abc");
    assertThat(new String(Files.readAllBytes(root.resolve("seg.wal")), 0, 4, StandardCharsets.UTF_8))
        .as("untouched this time").isEqualTo("rec1");
  }

  @Test
  void flipInvertsOneBitAndKeepsACopy() throws Exception {
    Path f = Files.write(dir.resolve("seg.wal"), new byte[] {0, 1, 2, 3});
    String out = run(Map.of(), revert.toString(), "flip", f.toString(), "2", "7", dir.resolve("orig").toString());
    assertThat(out).contains("flipped bit 7 of byte 2");
    assertThat(Files.readAllBytes(f)).containsExactly(0, 1, 0x82, 3);
    assertThat(Files.readAllBytes(dir.resolve("orig"))).containsExactly(0, 1, 2, 3);
  }

  private static void child(Path root, Path ledger, String phase) throws Exception {
    run(Map.of("LD_PRELOAD", shim.toString(), "KEEL_FSLEDGER_ROOT", root.toString(), "KEEL_FSLEDGER_FILE",
        ledger.toString()), NativeTools.javaCommand(FsLedgerChild.class, root.toString(), phase).toArray(String[]::new));
  }

  private static String run(Map<String, String> env, String... cmd) throws IOException, InterruptedException {
    return NativeTools.run(env, cmd);
  }
}
