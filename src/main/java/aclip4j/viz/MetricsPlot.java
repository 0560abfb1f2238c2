package aclip4j.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Training curves of one run as a single picture: a 2 x 2 grid of XChart panels under a title strip —
 * the loss terms of SPEC §6, the learning rate of §8, held-out zero-shot accuracy and retrieval of §11 (on the
 * steps where an evaluation ran) and the CLIP logit scale of §6.
 */
public final class MetricsPlot {
    /** One panel's size in pixels. */
    public static final int PANEL_W = 640, PANEL_H = 400;
    /** Panels per row and per column. */
    public static final int COLS = 2, ROWS = 2;
    /** The title strip above the panels. */
    public static final int HEADER_H = 48;

    private static final Color INK = new Color(0x222222);
    private static final Color GRID = new Color(0xE4E4E4);
    // colour-blind-safe (Okabe–Ito) so the loss terms stay apart for every reader
    private static final Color BLACK = new Color(0x000000), BLUE = new Color(0x0072B2), ORANGE = new Color(0xE69F00),
            GREEN = new Color(0x009E73), RED = new Color(0xD55E00), PURPLE = new Color(0xCC79A7);

    private MetricsPlot() {}

    /** Picture width for the fixed grid. */
    public static int width() {
        return COLS * PANEL_W;
    }

    /** Picture height for the fixed grid. */
    public static int height() {
        return HEADER_H + ROWS * PANEL_H;
    }

    /** The four panels of {@code m} under {@code title} (one line) and {@code subtitle} (one line, may be empty). */
    public static BufferedImage render(Metrics m, String title, String subtitle) {
        BufferedImage img = new BufferedImage(width(), height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width(), height());
            g.setColor(INK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 17));
            g.drawString(title, 14, 21);
            g.setColor(new Color(0x666666));
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString(subtitle, 14, 39);

            List<BufferedImage> panels = List.of(losses(m), learningRate(m), evaluation(m), logitScale(m));
            for (int i = 0; i < panels.size(); i++) {
                g.drawImage(panels.get(i), (i % COLS) * PANEL_W, HEADER_H + (i / COLS) * PANEL_H, null);
            }
            g.setColor(GRID);
            g.drawLine(0, HEADER_H - 1, width(), HEADER_H - 1);
        } finally {
            g.dispose();
        }
        return img;
    }

    private record Curve(String column, String label, Color colour, boolean dashed, double scale) {}

    private static BufferedImage losses(Metrics m) {
        return panel(m, "Loss terms (§6)", "loss", List.of(
                new Curve("loss", "total", BLACK, false, 1),
                new Curve("clip_loss", "CLIP", BLUE, false, 1),
                new Curve("ssl_loss", "SSL (SimCLR / SimSiam)", ORANGE, false, 1),
                new Curve("byol_loss", "BYOL", GREEN, false, 1)), true, "0.00",
                "no loss column in the metrics");
    }

    private static BufferedImage learningRate(Metrics m) {
        // XChart's tick labels crowd in scientific notation: plot lr in units of a power of ten instead
        double max = 0;
        for (double v : m.series("lr").values()) {
            max = Math.max(max, Math.abs(v));
        }
        int e = max > 0 ? (int) Math.floor(Math.log10(max)) : 0;
        String unit = e == 0 ? "lr" : "lr (× 1e" + e + ")";
        return panel(m, "Learning rate (§8: warm-up, cosine)", unit, List.of(
                new Curve("lr", "lr", BLUE, false, Math.pow(10, -e))), false, "0.00", "no lr column in the metrics");
    }

    private static BufferedImage evaluation(Metrics m) {
        return panel(m, "Held-out evaluation (§11)", "%", List.of(
                new Curve("eval_zero_shot_top1", "zero-shot top-1", BLUE, false, 100),
                new Curve("eval_zero_shot_top5", "zero-shot top-5", ORANGE, false, 100),
                new Curve("eval_i2t_r1", "image→text R@1", GREEN, true, 100),
                new Curve("eval_t2i_r1", "text→image R@1", PURPLE, true, 100)), false, "0",
                "no evaluation logged: train with --eval-every N");
    }

    private static BufferedImage logitScale(Metrics m) {
        return panel(m, "CLIP logit scale t (logits × e^t, §6)", "t", List.of(
                new Curve("logit_scale", "t", RED, false, 1)), false, "0.000", "no logit_scale column in the metrics");
    }

    /**
     * One XChart panel. A column absent from every row is left out; loss terms that are 0 everywhere (a variant
     * without SSL or BYOL) are left out too, so the legend lists only what the run optimised.
     */
    private static BufferedImage panel(Metrics m, String title, String yTitle, List<Curve> curves, boolean dropZero,
                                       String yPattern, String emptyNote) {
        XYChart chart = new XYChartBuilder().width(PANEL_W).height(PANEL_H).title(title)
                .xAxisTitle("step").yAxisTitle(yTitle).build();
        style(chart, yPattern);
        List<Metrics.Series> used = new ArrayList<>();
        boolean markers = false;
        for (Curve c : curves) {
            Metrics.Series s = m.series(c.column());
            if (s.isEmpty() || (dropZero && s.allZero())) {
                continue;
            }
            double[] y = s.values().clone();
            for (int i = 0; i < y.length; i++) {
                y[i] *= c.scale();
            }
            XYSeries xs = chart.addSeries(c.label(), s.steps(), y);
            xs.setLineColor(c.colour());
            xs.setMarkerColor(c.colour());
            xs.setLineStyle(c.dashed()
                    ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {6f, 4f}, 0f)
                    : new BasicStroke(c.column().equals("loss") ? 2.2f : 1.6f));
            // sparse curves (evaluations every N steps, or a short run) get markers so single points show
            boolean sparse = s.steps().length <= 30;
            xs.setMarker(sparse ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
            markers |= sparse;
            used.add(s);
        }
        if (used.isEmpty()) {
            return note(title, emptyNote);
        }
        chart.getStyler().setMarkerSize(markers ? 6 : 0);
        chart.getStyler().setLegendVisible(used.size() > 1); // one curve: the axis title names it
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Metrics.Series s : used) {
            for (double x : s.steps()) {
                lo = Math.min(lo, x);
                hi = Math.max(hi, x);
            }
        }
        if (lo == hi) { // one step: give the axis some width so the point sits in the middle
            chart.getStyler().setXAxisMin(lo - 1);
            chart.getStyler().setXAxisMax(hi + 1);
        } else if (equallySpaced(used) && used.get(0).steps().length > 12) {
            // XChart 3.8 puts the ticks of equally spaced x values on data points, at a stride that is no round
            // number (1, 19, 37, ...); one invisible point off that spacing brings back its round-number ticks
            Metrics.Series first = used.get(0);
            double dx = first.steps()[1] - first.steps()[0];
            XYSeries off = chart.addSeries(" ", new double[] {first.steps()[0] + dx / 2},
                    new double[] {first.values()[0] * curveOf(curves, first).scale()});
            off.setShowInLegend(false);
            off.setMarker(SeriesMarkers.NONE);
            off.setLineColor(new Color(0, 0, 0, 0));
        }
        BufferedImage img = new BufferedImage(PANEL_W, PANEL_H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            chart.paint(g, PANEL_W, PANEL_H);
        } finally {
            g.dispose();
        }
        return img;
    }

    private static Curve curveOf(List<Curve> curves, Metrics.Series s) {
        for (Curve c : curves) {
            if (c.column().equals(s.name())) {
                return c;
            }
        }
        throw new IllegalStateException("no curve for column " + s.name());
    }

    /** True when the union of the curves' steps, in first-seen order, is evenly spaced (what XChart tests). */
    private static boolean equallySpaced(List<Metrics.Series> used) {
        java.util.LinkedHashSet<Double> xs = new java.util.LinkedHashSet<>();
        for (Metrics.Series s : used) {
            for (double x : s.steps()) {
                xs.add(x);
            }
        }
        Double[] a = xs.toArray(new Double[0]);
        if (a.length < 3) {
            return false;
        }
        double d = a[1] - a[0];
        for (int i = 2; i < a.length; i++) {
            if (Math.abs(a[i] - a[i - 1] - d) >= 1e-4) {
                return false;
            }
        }
        return true;
    }

    private static void style(XYChart chart, String yPattern) {
        chart.getStyler()
                .setChartBackgroundColor(Color.WHITE)
                .setPlotBackgroundColor(Color.WHITE)
                .setPlotBorderColor(new Color(0xBBBBBB))
                .setChartFontColor(INK)
                .setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 14))
                .setChartTitleBoxVisible(false)
                .setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12))
                .setLegendBorderColor(new Color(0xCCCCCC))
                .setLegendPosition(Styler.LegendPosition.OutsideS) // below the plot: never over a curve
                .setLegendLayout(Styler.LegendLayout.Horizontal)
                .setChartPadding(12)
                .setAntiAlias(true);
        chart.getStyler()
                .setPlotGridLinesColor(GRID)
                .setPlotGridLinesStroke(new BasicStroke(1f))
                .setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12))
                .setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11))
                .setAxisTickLabelsColor(INK)
                .setXAxisDecimalPattern("0")
                .setYAxisDecimalPattern(yPattern)
                .setLocale(Locale.ROOT);
    }

    /** A panel with only a title and a sentence, for a quantity the run did not log. */
    private static BufferedImage note(String title, String text) {
        BufferedImage img = new BufferedImage(PANEL_W, PANEL_H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, PANEL_W, PANEL_H);
            g.setColor(new Color(0xBBBBBB));
            g.drawRect(40, 40, PANEL_W - 60, PANEL_H - 90);
            g.setColor(INK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
            g.drawString(title, (PANEL_W - g.getFontMetrics().stringWidth(title)) / 2, 26);
            g.setColor(new Color(0x777777));
            g.setFont(new Font(Font.SANS_SERIF, Font.ITALIC, 13));
            g.drawString(text, (PANEL_W - g.getFontMetrics().stringWidth(text)) / 2, PANEL_H / 2);
        } finally {
            g.dispose();
        }
        return img;
    }
}
