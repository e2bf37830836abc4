package io.keel.chaos.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Pure helpers for a member's command line as the membership nemesis needs it: the container's entry point
 * wrapper (which can replace the whole argv and wipe the data dir between two incarnations), the argv of a
 * member that rejoins as a new member, and the {@code --initial-cluster} string from the group a MemberAdd
 * answered. Arguments must not contain whitespace (the wrapper reads the argv file with the shell's word
 * splitting); that is checked here.
 */
public final class MemberArgs {
  /** Written (while the container is stopped) with the argv of the next incarnation, one argument per line. */
  public static final String ARGV_FILE = "/var/lib/keel-member-argv";
  /** Written with a directory to delete before the next incarnation starts (the wrapper removes the file). */
  public static final String WIPE_FILE = "/var/lib/keel-member-wipe";

  /**
   * The shell script the containers start with ({@code sh -c SCRIPT keel-member <argv...>}): it wipes the
   * directory named in {@link #WIPE_FILE} (once), replaces its arguments with {@link #ARGV_FILE}'s when that file
   * exists, and execs them (so the member's JVM is the container's process 1 and gets the kill signal).
   */
  public static final String WRAPPER_SCRIPT = String.join("\n",
      "if [ -f " + WIPE_FILE + " ]; then d=\"$(cat " + WIPE_FILE + ")\"; rm -rf \"$d\" && rm -f " + WIPE_FILE
          + " && echo \"keel-member: wiped $d (rejoining as a new member)\" || exit 73; fi",
      "if [ -f " + ARGV_FILE + " ]; then set -- $(cat " + ARGV_FILE + "); echo \"keel-member: starting with $*\"; fi",
      "exec \"$@\"");

  private MemberArgs() {
  }

  /** The container entry point: the wrapper in front of the image's (or the fault tools') own entry point. */
  public static List<String> wrappedEntrypoint(List<String> entrypoint) {
    List<String> out = new ArrayList<>(List.of("/bin/sh", "-c", WRAPPER_SCRIPT, "keel-member"));
    out.addAll(entrypoint);
    return out;
  }

  /**
   * {@code argv} with the values of {@code --initial-cluster} and {@code --initial-cluster-state} replaced by
   * {@code initialCluster} and "existing" (both flags must be present, each once, with a value).
   */
  public static List<String> rejoin(List<String> argv, String initialCluster) {
    List<String> out = new ArrayList<>(argv);
    replaceValue(out, "--initial-cluster", initialCluster);
    replaceValue(out, "--initial-cluster-state", "existing");
    checkNoWhitespace(out);
    return out;
  }

  /** The argv file's content: one argument per line. */
  public static String argvFile(List<String> argv) {
    checkNoWhitespace(argv);
    return String.join("\n", argv) + "\n";
  }

  /**
   * The {@code --initial-cluster} value ("name=peerURL,...") for a member about to join a group: {@code members}
   * maps each member's name to its peer URLs, in the order MemberAdd listed them; the joining member itself has no
   * name yet in that answer, so the caller names it. Every name must be non-empty (a member that was added but
   * never started has none: another joiner cannot be described) and contain neither '=' nor ','.
   */
  public static String initialCluster(List<Map.Entry<String, List<String>>> members) {
    if (members.isEmpty()) {
      throw new IllegalArgumentException("no members");
    }
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, List<String>> m : members) {
      String name = m.getKey();
      if (name == null || name.isEmpty() || name.contains("=") || name.contains(",")) {
        throw new IllegalArgumentException("member without a usable name: '" + name + "' " + m.getValue());
      }
      if (m.getValue().isEmpty()) {
        throw new IllegalArgumentException("member " + name + " has no peer URL");
      }
      for (String url : m.getValue()) {
        if (url.isEmpty() || url.contains(",") || url.contains("=")) {
          throw new IllegalArgumentException("bad peer URL of " + name + ": '" + url + "'");
        }
        b.append(b.length() == 0 ? "" : ",").append(name).append('=').append(url);
      }
    }
    return b.toString();
  }

  private static void replaceValue(List<String> argv, String flag, String value) {
    int at = argv.indexOf(flag);
    if (at < 0 || at + 1 >= argv.size()) {
      throw new IllegalArgumentException("argv has no " + flag + " with a value: " + argv);
    }
    if (argv.subList(at + 1, argv.size()).contains(flag)) {
      throw new IllegalArgumentException("argv has " + flag + " twice: " + argv);
    }
    argv.set(at + 1, value);
  }

  private static void checkNoWhitespace(List<String> argv) {
    for (String a : argv) {
      if (a.isEmpty() || a.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException("argument '" + a + "' is empty or contains whitespace");
      }
    }
  }
}
