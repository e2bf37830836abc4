package io.keel.bench.report;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A live "done / total" progress line, redrawn in place a few times a second. It draws only when enabled
 * (by default: when the JVM has a console, i.e. stdout is a terminal) so piped output and files stay clean.
 * Callers just {@link #advance()}; a single daemon thread owns the drawing.
 */
public final class ProgressBar implements AutoCloseable {

  private static final int WIDTH = 40;
  private static final long REDRAW_MS = 250;

  private final long total;
  private final PrintStream out;
  private final AtomicLong done = new AtomicLong();
  private final long startNanos = System.nanoTime();
  private final ScheduledExecutorService drawer;

  /**
   * @param total the expected number of steps (must be positive)
   * @param out where to draw
   * @param enabled false makes every method a cheap no-op apart from counting
   */
  public ProgressBar(long total, PrintStream out, boolean enabled) {
    if (total <= 0) {
      throw new IllegalArgumentException("total must be positive: " + total);
    }
    this.total = total;
    this.out = out;
    if (enabled) {
      drawer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "progress-bar");
        t.setDaemon(true);
        return t;
      });
      drawer.scheduleAtFixedRate(this::draw, 0, REDRAW_MS, TimeUnit.MILLISECONDS);
    } else {
      drawer = null;
    }
  }

  /** A bar that draws only when stdout is a terminal. */
  public static ProgressBar forStdout(long total) {
    return new ProgressBar(total, System.out, System.console() != null);
  }

  /** Records one finished step. */
  public void advance() {
    done.incrementAndGet();
  }

  /** Steps recorded so far. */
  public long done() {
    return done.get();
  }

  /** Renders the bar for a given state; exposed for tests. */
  static String render(long done, long total, long elapsedNanos) {
    long shown = Math.min(done, total);
    int filled = (int) (shown * WIDTH / total);
    return String.format(Locale.ROOT, "\r %d / %d [%s%s] %5.1f%% %ds",
        shown, total, "=".repeat(filled), " ".repeat(WIDTH - filled), shown * 100.0 / total,
        TimeUnit.NANOSECONDS.toSeconds(elapsedNanos));
  }

  private void draw() {
    out.print(render(done.get(), total, System.nanoTime() - startNanos));
    out.flush();
  }

  @Override
  public void close() {
    if (drawer != null) {
      drawer.shutdownNow();
      try {
        drawer.awaitTermination(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      draw();
      out.println();
    }
  }
}
