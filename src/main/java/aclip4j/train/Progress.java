package aclip4j.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a long run: a redrawn bar with step, loss, learning rate and time left on a terminal; a plain line
 * every {@code interval} steps (and the last) when the output is not a terminal, so logs stay readable.
 */
public final class Progress {
    private final PrintStream out;
    private final boolean terminal;
    private final long total;
    private final long interval;
    private final long startStep;
    private final long startNanos = System.nanoTime();

    public Progress(PrintStream out, boolean terminal, long startStep, long total, long interval) {
        this.out = out;
        this.terminal = terminal;
        this.startStep = startStep;
        this.total = total;
        this.interval = Math.max(1, interval);
    }

    /** Whether stdout is an interactive terminal. */
    public static boolean stdoutIsTerminal() {
        return System.console() != null && !"true".equals(System.getenv("CI"));
    }

    /** Reports that {@code step} (1-based count of finished steps) is done. */
    public void update(long step, double loss, double lr) {
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        long done = step - startStep;
        double left = done > 0 ? elapsed / done * (total - step) : Double.NaN;
        String text = String.format(Locale.ROOT, "step %d/%d  loss %.4f  lr %.2e  %s elapsed  %s left",
                step, total, loss, lr, clock(elapsed), Double.isNaN(left) ? "?" : clock(left));
        if (terminal) {
            int width = 24;
            int filled = (int) Math.round(width * (double) step / Math.max(1, total));
            String bar = "#".repeat(filled) + "-".repeat(width - filled);
            out.print("\r[" + bar + "] " + text + "   ");
            if (step >= total) {
                out.println();
            }
            out.flush();
        } else if (step % interval == 0 || step >= total || step == startStep + 1) {
            out.println(text);
        }
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
