package io.keel.chaos.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The pieces every report shares: escaping, the page head with the verdict colours, a facts table, writing. */
public final class Html {
  private Html() {
  }

  /** HTML-escapes {@code s}. */
  public static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  /** The page's start up to and including the {@code <h1>} title. */
  public static String head(String title) {
    return "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + esc(title)
        + "</title><style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:left}"
        + ".INVALID{color:#b00}.VALID{color:#070}.UNKNOWN{color:#a60}</style></head><body><h1>" + esc(title)
        + "</h1>";
  }

  /** A two-column table of {@code facts}. */
  public static String table(Map<String, String> facts) {
    StringBuilder b = new StringBuilder("<table>");
    facts.forEach((k, v) -> b.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v))
        .append("</td></tr>"));
    return b.append("</table>").toString();
  }

  /** Writes report.txt and report.html into {@code dir}. */
  public static void write(Path dir, String text, String html) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("report.txt"), text, StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("report.html"), html, StandardCharsets.UTF_8);
  }
}
