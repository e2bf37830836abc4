package io.keel.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG line charts for benchmark reports (XChart, headless). Knows nothing about what was measured: callers
 * pass named series of points, or latency summaries for a CDF.
 */
public final class Charts {

  /** A named line: x and y of equal length. */
  public record Series(String name, double[] x, double[] y) {
    public Series {
      if (x.length != y.length || x.length == 0) {
        throw new IllegalArgumentException("series " + name + ": x and y must be non-empty and of equal length");
      }
      x = x.clone();
      y = y.clone();
    }
  }

  private static final int WIDTH_PX = 900;
  private static final int HEIGHT_PX = 540;

  private Charts() {}

  /**
   * Writes a line chart to {@code pngFile}.
   *
   * @param logX use a logarithmic x axis (all x must then be positive)
   */
  public static void lineChart(String title, String xTitle, String yTitle, List<Series> series, boolean logX,
      Path pngFile) throws IOException {
    System.setProperty("java.awt.headless", "true");
    if (series.isEmpty()) {
      throw new IllegalArgumentException("chart " + title + " has no series");
    }
    XYChart chart = new XYChartBuilder().width(WIDTH_PX).height(HEIGHT_PX)
        .title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    chart.getStyler().setXAxisLogarithmic(logX);
    chart.getStyler().setLegendVisible(true);
    for (Series s : series) {
      if (logX) {
        for (double x : s.x()) {
          if (!(x > 0)) {
            throw new IllegalArgumentException("log x axis needs positive x, series " + s.name() + " has " + x);
          }
        }
      }
      XYSeries xy = chart.addSeries(s.name(), s.x(), s.y());
      xy.setMarker(SeriesMarkers.CIRCLE);
    }
    Path parent = pngFile.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    BitmapEncoder.saveBitmap(chart, pngFile.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  /**
   * Writes a latency CDF (x: latency in milliseconds, log scale; y: percentile) with one line per result,
   * built from each result's fastest, percentile ladder and slowest.
   */
  public static void latencyCdf(String title, Map<String, BenchResult> results, Path pngFile) throws IOException {
    List<Series> series = new ArrayList<>();
    for (Map.Entry<String, BenchResult> e : results.entrySet()) {
      BenchResult r = e.getValue();
      if (r.count() == 0) {
        continue;
      }
      List<double[]> pts = new ArrayList<>();
      pts.add(new double[] {r.fastestSeconds() * 1000, 0});
      r.percentileSeconds().forEach((label, secs) -> pts.add(new double[] {secs * 1000, Double.parseDouble(label)}));
      pts.add(new double[] {r.slowestSeconds() * 1000, 100});
      double[] x = new double[pts.size()];
      double[] y = new double[pts.size()];
      for (int i = 0; i < pts.size(); i++) {
        x[i] = Math.max(pts.get(i)[0], 1e-3);
        y[i] = pts.get(i)[1];
      }
      series.add(new Series(e.getKey(), x, y));
    }
    if (series.isEmpty()) {
      return;
    }
    lineChart(title, "latency (ms)", "percentile", series, true, pngFile);
  }
}
