package io.keel.bench.report;

import java.util.ArrayList;
import java.util.List;

/** A small GitHub-flavoured Markdown table builder for reports; cells are escaped for '|' and newlines. */
public final class MarkdownTable {

  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  public MarkdownTable(String... header) {
    if (header.length == 0) {
      throw new IllegalArgumentException("a table needs at least one column");
    }
    this.header = List.of(header);
  }

  /** Adds a row; it must have exactly as many cells as the header. */
  public MarkdownTable row(Object... cells) {
    if (cells.length != header.size()) {
      throw new IllegalArgumentException("row has " + cells.length + " cells, header has " + header.size());
    }
    List<String> r = new ArrayList<>(cells.length);
    for (Object c : cells) {
      r.add(escape(String.valueOf(c)));
    }
    rows.add(r);
    return this;
  }

  public int rowCount() {
    return rows.size();
  }

  /** The table text, ending with a newline. */
  public String render() {
    StringBuilder b = new StringBuilder();
    b.append("| ").append(String.join(" | ", header)).append(" |\n");
    b.append("|").append("---|".repeat(header.size())).append("\n");
    for (List<String> r : rows) {
      b.append("| ").append(String.join(" | ", r)).append(" |\n");
    }
    return b.toString();
  }

  private static String escape(String s) {
    return s.replace("|", "\\|").replace("\n", " ");
  }
}
