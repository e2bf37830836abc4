package io.keel.server.it;

import java.util.ArrayList;
import java.util.List;

/** A small line diff (longest common subsequence) for printing readable per-command differences. */
final class LineDiff {
    /** Inputs above this many lines are shown whole rather than diffed, to bound the LCS table. */
    private static final int MAX_LINES = 2000;

    private LineDiff() {
    }

    /** Lines prefixed with {@code "  "} (both), {@code "- "} (only expected) or {@code "+ "} (only actual). */
    static List<String> diff(List<String> expected, List<String> actual) {
        List<String> out = new ArrayList<>();
        if (expected.size() > MAX_LINES || actual.size() > MAX_LINES) {
            expected.forEach(l -> out.add("- " + l));
            actual.forEach(l -> out.add("+ " + l));
            return out;
        }
        int n = expected.size();
        int m = actual.size();
        int[][] lcs = new int[n + 1][m + 1];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = m - 1; j >= 0; j--) {
                lcs[i][j] = expected.get(i).equals(actual.get(j))
                        ? lcs[i + 1][j + 1] + 1
                        : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        int i = 0;
        int j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && expected.get(i).equals(actual.get(j))) {
                out.add("  " + expected.get(i++));
                j++;
            } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
                out.add("- " + expected.get(i++));
            } else {
                out.add("+ " + actual.get(j++));
            }
        }
        return out;
    }
}
