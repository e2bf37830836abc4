package io.keel.server.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A readable list of etcdctl commands (a test resource) parsed into {@link Step}s. One command per line:
 * <pre>
 *   [label] ARGS... [&lt;&lt;STDIN] [=&gt; EXIT ["expected text"]]
 * </pre>
 * <ul>
 *   <li>ARGS are split on blanks; {@code "..."} (with {@code \"} and {@code \\}) and {@code '...'} quote, so
 *       {@code ""} is an empty argument. Lines starting with {@code #} and blank lines are ignored.</li>
 *   <li>{@code <<WORD} feeds the following lines up to a line {@code WORD} as stdin, each with a newline
 *       (blank lines kept). Inside, {@code %repeat N TEMPLATE} expands to N lines with {@code %i} = 1..N.</li>
 *   <li>{@code <<BYTES N C} feeds N copies of the character C (no newline) as stdin.</li>
 *   <li>{@code => EXIT "text"} is what the reference must do: that exit code and, if given, that text in
 *       stdout or stderr. It guards the script itself (a typo must not silently test nothing).</li>
 *   <li>{@code [name]} labels a step; {@code [name=other]} also requires its masked output to equal that
 *       of the earlier step {@code other} in the same run (e.g. data unchanged after bad input).</li>
 * </ul>
 */
public final class EtcdctlScript {
    private static final int MAX_STEPS = 1000;
    private static final int MAX_STDIN_BYTES = 16 << 20;
    private static final int MAX_SHOWN_STDIN_LINES = 12;

    /** One etcdctl invocation of the script. {@code expectedExit} is null when the line has no {@code =>}. */
    public record Step(int number, int line, String label, String sameAs, List<String> args, byte[] stdin,
                       Integer expectedExit, String expectedText) {

        /** The command as a shell-like line, e.g. {@code etcdctl put "" x}. */
        public String display() {
            StringBuilder sb = new StringBuilder("etcdctl");
            for (String arg : args) {
                sb.append(' ').append(quoteIfNeeded(arg));
            }
            return sb.toString();
        }

        /** stdin for the transcript: the lines if short text, else a size summary. */
        public List<String> stdinDisplay() {
            if (stdin.length == 0) {
                return List.of();
            }
            String text = new String(stdin, StandardCharsets.UTF_8);
            List<String> lines = Arrays.asList(text.split("\n", -1));
            if (text.endsWith("\n")) {
                lines = lines.subList(0, lines.size() - 1);
            }
            boolean uniform = text.chars().allMatch(c -> c == text.charAt(0));
            if (uniform && !text.contains("\n")) {
                return List.of(stdin.length + " bytes of '" + text.charAt(0) + "'");
            }
            if (lines.size() <= MAX_SHOWN_STDIN_LINES) {
                return lines;
            }
            List<String> shown = new ArrayList<>(lines.subList(0, MAX_SHOWN_STDIN_LINES - 2));
            shown.add("... (" + (lines.size() - MAX_SHOWN_STDIN_LINES + 1) + " more lines)");
            shown.add(lines.get(lines.size() - 1));
            return shown;
        }
    }

    private final List<Step> steps;

    private EtcdctlScript(List<Step> steps) {
        this.steps = List.copyOf(steps);
    }

    public List<Step> steps() {
        return steps;
    }

    /** Loads a script from the test classpath (next to this class). */
    public static EtcdctlScript load(String resourceName) {
        try (InputStream in = EtcdctlScript.class.getResourceAsStream(resourceName)) {
            if (in == null) {
                throw new IllegalArgumentException("script resource not found: " + resourceName);
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static EtcdctlScript parse(String text) {
        String[] lines = text.split("\n", -1);
        List<Step> steps = new ArrayList<>();
        Set<String> labels = new HashSet<>();
        for (int i = 0; i < lines.length; i++) {
            int lineNumber = i + 1;
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            List<Token> tokens = tokenize(line, lineNumber);
            String label = null;
            String sameAs = null;
            if (!tokens.isEmpty() && !tokens.get(0).quoted() && tokens.get(0).text().startsWith("[")) {
                String head = tokens.remove(0).text();
                if (!head.endsWith("]") || head.length() < 3) {
                    throw error(lineNumber, "label must look like [name] or [name=other]: " + head);
                }
                String inner = head.substring(1, head.length() - 1);
                int eq = inner.indexOf('=');
                label = eq < 0 ? inner : inner.substring(0, eq);
                sameAs = eq < 0 ? null : inner.substring(eq + 1);
                if (!labels.add(label)) {
                    throw error(lineNumber, "duplicate label " + label);
                }
                if (sameAs != null && !labels.contains(sameAs)) {
                    throw error(lineNumber, "[" + inner + "] refers to no earlier label " + sameAs);
                }
            }
            Integer expectedExit = null;
            String expectedText = null;
            int arrow = indexOfOperator(tokens, "=>");
            if (arrow >= 0) {
                List<Token> expect = tokens.subList(arrow + 1, tokens.size());
                if (expect.isEmpty() || expect.size() > 2) {
                    throw error(lineNumber, "=> takes an exit code and optionally one quoted text");
                }
                try {
                    expectedExit = Integer.parseInt(expect.get(0).text());
                } catch (NumberFormatException e) {
                    throw error(lineNumber, "exit code after => is not a number: " + expect.get(0).text());
                }
                expectedText = expect.size() == 2 ? expect.get(1).text() : null;
                tokens = new ArrayList<>(tokens.subList(0, arrow));
            }
            byte[] stdin = new byte[0];
            int heredoc = indexOfHeredoc(tokens);
            if (heredoc >= 0) {
                List<String> spec = new ArrayList<>();
                String first = tokens.get(heredoc).text().substring(2);
                if (!first.isEmpty()) {
                    spec.add(first);
                }
                tokens.subList(heredoc + 1, tokens.size()).forEach(t -> spec.add(t.text()));
                tokens = new ArrayList<>(tokens.subList(0, heredoc));
                if (spec.isEmpty()) {
                    throw error(lineNumber, "<< needs a terminator word or BYTES N C");
                }
                if (spec.get(0).equals("BYTES")) {
                    stdin = repeatedBytes(spec, lineNumber);
                } else {
                    if (spec.size() != 1) {
                        throw error(lineNumber, "<<WORD takes only the terminator word");
                    }
                    StringBuilder body = new StringBuilder();
                    i = readHeredoc(lines, i + 1, spec.get(0), body, lineNumber);
                    stdin = body.toString().getBytes(StandardCharsets.UTF_8);
                }
            }
            if (tokens.isEmpty()) {
                throw error(lineNumber, "no etcdctl arguments");
            }
            if (steps.size() >= MAX_STEPS) {
                throw error(lineNumber, "more than " + MAX_STEPS + " steps");
            }
            steps.add(new Step(steps.size() + 1, lineNumber, label, sameAs,
                    tokens.stream().map(Token::text).toList(), stdin, expectedExit, expectedText));
        }
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("script has no commands");
        }
        return new EtcdctlScript(steps);
    }

    private record Token(String text, boolean quoted) {
    }

    private static int indexOfOperator(List<Token> tokens, String operator) {
        for (int i = 0; i < tokens.size(); i++) {
            if (!tokens.get(i).quoted() && tokens.get(i).text().equals(operator)) {
                return i;
            }
        }
        return -1;
    }

    private static int indexOfHeredoc(List<Token> tokens) {
        for (int i = 0; i < tokens.size(); i++) {
            if (!tokens.get(i).quoted() && tokens.get(i).text().startsWith("<<")) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] repeatedBytes(List<String> spec, int lineNumber) {
        if (spec.size() != 3 || spec.get(2).length() != 1) {
            throw error(lineNumber, "<<BYTES takes a count and one character: <<BYTES 1024 x");
        }
        int count;
        try {
            count = Integer.parseInt(spec.get(1));
        } catch (NumberFormatException e) {
            throw error(lineNumber, "<<BYTES count is not a number: " + spec.get(1));
        }
        if (count < 1 || count > MAX_STDIN_BYTES) {
            throw error(lineNumber, "<<BYTES count must be in [1, " + MAX_STDIN_BYTES + "]");
        }
        byte[] bytes = new byte[count];
        Arrays.fill(bytes, (byte) spec.get(2).charAt(0));
        return bytes;
    }

    /** Appends the heredoc body to {@code body}; returns the index of the terminator line. */
    private static int readHeredoc(String[] lines, int from, String terminator, StringBuilder body, int lineNumber) {
        for (int j = from; j < lines.length; j++) {
            String raw = lines[j];
            if (raw.strip().equals(terminator)) {
                return j;
            }
            if (raw.startsWith("%repeat ")) {
                String[] parts = raw.split(" ", 3);
                int count;
                try {
                    count = Integer.parseInt(parts[1]);
                } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                    throw error(j + 1, "use: %repeat N TEMPLATE");
                }
                if (parts.length < 3 || count < 1 || count > 100_000) {
                    throw error(j + 1, "use: %repeat N TEMPLATE with N in [1, 100000]");
                }
                for (int k = 1; k <= count; k++) {
                    body.append(parts[2].replace("%i", Integer.toString(k))).append('\n');
                }
            } else {
                body.append(raw).append('\n');
            }
            if (body.length() > MAX_STDIN_BYTES) {
                throw error(j + 1, "stdin larger than " + MAX_STDIN_BYTES + " bytes");
            }
        }
        throw error(lineNumber, "heredoc not terminated by a line " + terminator);
    }

    private static List<Token> tokenize(String line, int lineNumber) {
        List<Token> tokens = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean inToken = false;
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (Character.isWhitespace(c)) {
                if (inToken) {
                    tokens.add(new Token(current.toString(), quoted));
                    current.setLength(0);
                    inToken = false;
                    quoted = false;
                }
            } else if (c == '"' || c == '\'') {
                inToken = true;
                quoted = true;
                int j = i + 1;
                while (j < line.length() && line.charAt(j) != c) {
                    if (c == '"' && line.charAt(j) == '\\' && j + 1 < line.length()) {
                        j++;
                    }
                    current.append(line.charAt(j));
                    j++;
                }
                if (j >= line.length()) {
                    throw error(lineNumber, "unterminated " + c + " quote");
                }
                i = j;
            } else {
                inToken = true;
                current.append(c);
            }
        }
        if (inToken) {
            tokens.add(new Token(current.toString(), quoted));
        }
        return tokens;
    }

    static String quoteIfNeeded(String arg) {
        if (!arg.isEmpty() && arg.chars().noneMatch(c -> Character.isWhitespace(c) || c == '"' || c == '\'')) {
            return arg;
        }
        return '"' + arg.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    private static IllegalArgumentException error(int lineNumber, String message) {
        return new IllegalArgumentException("etcdctl script line " + lineNumber + ": " + message);
    }
}
