package aclip4j.viz;

import aclip4j.mask.Box;
import aclip4j.mask.TokenSelector;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.Locale;

/**
 * Draws a {@link MaskFigure.Figure} like the paper's Fig. 4, one row per image:
 * (a) the source image with the view boxes (one colour each) and the EMA box (white, dashed);
 * (b) the §3 score map colour-mapped over the EMA view, with the view boxes where they read it (§5.1);
 * (c) each online view with the dropped tokens greyed and the kept tokens as they are — under the chosen strategy,
 * and beside it under {@code random} when the figure compares them; the image's caption under the row.
 *
 * <p>View tiles are the view's pixels upscaled by an integer factor with nearest neighbours, so every patch token
 * is an exact {@code p·scale}-pixel square of the tile ({@link Layout#viewScale}); tests read the kept tokens back
 * out of the picture with {@link #dropped}.
 */
public final class MaskPicture {
    /** Fixed parts of the layout, in pixels. */
    public static final int MARGIN = 20, TITLE_H = 76, HEADER_H = 24, GAP = 14, CAPTION_H = 30, ROW_GAP = 10,
            LEGEND_H = 40;
    /** Tiles are about this wide: the view side times the nearest integer factor (at least 1). */
    public static final int TARGET_TILE = 192;

    /** View box colours: distinct, bright enough on dark and light pixels. */
    public static final Color[] VIEW_COLOURS = {new Color(0xFF9F1C), new Color(0x2EC4F0), new Color(0xFF4FA3),
            new Color(0x9BE33C), new Color(0xB98CFF), new Color(0xFFE14D)};
    private static final Color INK = new Color(0x202124), MUTED = new Color(0x5F6368), PAPER = Color.WHITE;
    private static final float HEAT_ALPHA = 0.6f;

    private MaskPicture() {}

    /**
     * Where everything goes. Columns: 0 source, 1 score map, then the views — each view's {@code random} column right
     * after its strategy column when comparing.
     *
     * @param tile      tile side in pixels, {@code S * viewScale}
     * @param viewScale integer upscaling of the views
     */
    public record Layout(int rows, int views, boolean compareRandom, int tile, int viewScale) {
        public static Layout of(MaskFigure.Figure f) {
            int scale = Math.max(1, (int) Math.round((double) TARGET_TILE / f.S()));
            return new Layout(f.rows().size(), f.V(), f.compareRandom(), f.S() * scale, scale);
        }

        public int columns() {
            return 2 + views * (compareRandom ? 2 : 1);
        }

        public int width() {
            return 2 * MARGIN + columns() * tile + (columns() - 1) * GAP;
        }

        public int height() {
            return MARGIN + TITLE_H + HEADER_H + rows * (tile + CAPTION_H) + (rows - 1) * ROW_GAP + LEGEND_H + MARGIN;
        }

        /** Left edge of column {@code col}. */
        public int tileX(int col) {
            return MARGIN + col * (tile + GAP);
        }

        /** Top edge of row {@code row}'s tiles. */
        public int tileY(int row) {
            return MARGIN + TITLE_H + HEADER_H + row * (tile + CAPTION_H + ROW_GAP);
        }

        /** The column of view {@code v} under the chosen strategy, or under {@code random}. */
        public int viewColumn(int v, boolean random) {
            if (random && !compareRandom) {
                throw new IllegalArgumentException("the picture has no random columns (compareRandom is off)");
            }
            return compareRandom ? 2 + 2 * v + (random ? 1 : 0) : 2 + v;
        }
    }

    /**
     * How a dropped token's pixel is drawn: its luminance (Rec. 601) squeezed into a dark band and tinted cool, so
     * dropped tokens read as "switched off" while their content stays faintly visible. 0xRRGGBB in and out.
     */
    public static int dropped(int rgb) {
        double luma = (0.299 * (rgb >> 16 & 0xFF) + 0.587 * (rgb >> 8 & 0xFF) + 0.114 * (rgb & 0xFF)) / 255.0;
        double v = 0.13 + 0.3 * luma;
        int grey = (int) Math.round(255 * v);
        int blue = (int) Math.round(255 * Math.min(1, v + 0.05));
        return grey << 16 | grey << 8 | blue;
    }

    /** The 8-bit colour of pixel {@code (y, x)} of a {@code [3,H,W]} image in [0,1]. */
    public static int rgb(float[] chw, int H, int W, int y, int x) {
        int plane = H * W;
        int i = y * W + x;
        return to8(chw[i]) << 16 | to8(chw[plane + i]) << 8 | to8(chw[2 * plane + i]);
    }

    private static int to8(float v) {
        return Math.round(Math.max(0f, Math.min(1f, v)) * 255f);
    }

    /**
     * The picture.
     *
     * @param origin one line saying where the weights came from (e.g. the checkpoint file)
     */
    public static BufferedImage render(MaskFigure.Figure f, Colormap cmap, String origin) {
        Layout L = Layout.of(f);
        BufferedImage img = new BufferedImage(L.width(), L.height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(PAPER);
            g.fillRect(0, 0, L.width(), L.height());
            drawTitle(g, f, L, origin);
            drawHeaders(g, f, L);
            for (int row = 0; row < L.rows(); row++) {
                MaskFigure.Row r = f.rows().get(row);
                int y = L.tileY(row);
                drawSource(img, g, r, L.tileX(0), y, L.tile());
                drawScores(img, g, f, r, cmap, L.tileX(1), y, L.tile());
                for (int v = 0; v < L.views(); v++) {
                    MaskFigure.View view = r.views().get(v);
                    drawView(img, g, f, view.pixels(), view.keep(), L, L.tileX(L.viewColumn(v, false)), y, v);
                    if (L.compareRandom()) {
                        drawView(img, g, f, view.pixels(), view.keepRandom(), L, L.tileX(L.viewColumn(v, true)), y, v);
                    }
                }
                drawCaption(g, r, L, y + L.tile());
            }
            drawLegend(g, f, cmap, L);
        } finally {
            g.dispose();
        }
        return img;
    }

    private static void drawTitle(Graphics2D g, MaskFigure.Figure f, Layout L, String origin) {
        int maxW = L.width() - 2 * MARGIN;
        String title = String.format(Locale.ROOT, "A-CLIP attentive masks · %s (%s) at step %d · scores: %s tower",
                f.variant(), f.model(), f.step(), f.emaTower() ? "EMA" : "online (the run has no EMA)");
        g.setColor(INK);
        fitText(g, title, Font.BOLD, 17, maxW, MARGIN, MARGIN + 16);
        String keep = String.format(Locale.ROOT, "%s · %d of %d cells of %d px (%d of %d tokens) kept per view",
                explain(f.strategy(), f), f.keepCells(), f.n(), f.r() * f.patch(), f.kept(), f.N());
        String scores = String.format(Locale.ROOT, "§3 score over %s layers of the %d px EMA view · %s held-out"
                        + " images · boxes and noise from seed %d",
                f.scoreLayers().id(), f.Se(), f.data(), f.seed());
        g.setColor(MUTED);
        fitText(g, keep, Font.PLAIN, 13, maxW, MARGIN, MARGIN + 36);
        fitText(g, scores, Font.PLAIN, 13, maxW, MARGIN, MARGIN + 53);
        fitText(g, origin, Font.PLAIN, 11, maxW, MARGIN, MARGIN + 69);
    }

    static String explain(TokenSelector.Strategy s, MaskFigure.Figure f) {
        return switch (s) {
            case DROP_LOW -> "strategy low: keeps the highest-scoring cells";
            case DROP_HIGH -> "strategy high: keeps the lowest-scoring cells";
            case MIXED -> "strategy mixed: keeps the " + f.mixedTop() + " highest-scoring cells, then random ones";
            case RANDOM -> "strategy random (FLIP): keeps random cells";
        };
    }

    private static void drawHeaders(Graphics2D g, MaskFigure.Figure f, Layout L) {
        int y = MARGIN + TITLE_H + HEADER_H - 8;
        g.setColor(INK);
        header(g, "(a) image, view boxes", L.tileX(0), y, L.tile());
        header(g, "(b) " + (f.emaTower() ? "EMA" : "online") + " score map", L.tileX(1), y, L.tile());
        String s = f.strategy().id();
        for (int v = 0; v < L.views(); v++) {
            header(g, "(c) view " + (v + 1) + " · " + s, L.tileX(L.viewColumn(v, false)), y, L.tile());
            if (L.compareRandom()) {
                header(g, "view " + (v + 1) + " · random", L.tileX(L.viewColumn(v, true)), y, L.tile());
            }
        }
    }

    private static void header(Graphics2D g, String text, int x, int y, int w) {
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        String t = ellipsize(g.getFontMetrics(), text, w);
        g.drawString(t, x + (w - g.getFontMetrics().stringWidth(t)) / 2, y);
    }

    /** (a): the source image fitted into the tile (aspect kept), the view boxes and the dashed EMA box. */
    private static void drawSource(BufferedImage img, Graphics2D g, MaskFigure.Row r, int x0, int y0, int T) {
        int H = r.source().height(), W = r.source().width();
        double s = (double) T / Math.max(H, W);
        int ox = x0 + (int) Math.round((T - W * s) / 2), oy = y0 + (int) Math.round((T - H * s) / 2);
        int dw = (int) Math.round(W * s), dh = (int) Math.round(H * s);
        g.setColor(new Color(0xEEEEEE));
        g.fillRect(x0, y0, T, T);
        for (int y = 0; y < dh; y++) {
            int sy = Math.min(H - 1, (int) (y / s));
            for (int x = 0; x < dw; x++) {
                int sx = Math.min(W - 1, (int) (x / s));
                img.setRGB(ox + x, oy + y, rgb(r.source().chw(), H, W, sy, sx));
            }
        }
        for (int v = 0; v < r.views().size(); v++) {
            Box b = r.views().get(v).box();
            Rectangle2D rect = new Rectangle2D.Double(ox + b.left() * s, oy + b.top() * s, b.w() * s, b.h() * s);
            outlined(g, rect, VIEW_COLOURS[v % VIEW_COLOURS.length], 2.5f, null);
        }
        Box e = r.emaBox();
        Rectangle2D ema = new Rectangle2D.Double(ox + e.left() * s + 1, oy + e.top() * s + 1, e.w() * s - 2, e.h() * s - 2);
        outlined(g, ema, Color.WHITE, 2f, new float[] {7f, 5f});
        // tags last, so no box line crosses them; each in the first free corner of its box
        java.util.List<Rectangle2D> placed = new java.util.ArrayList<>();
        for (int v = 0; v < r.views().size(); v++) {
            Box b = r.views().get(v).box();
            Rectangle2D rect = new Rectangle2D.Double(ox + b.left() * s, oy + b.top() * s, b.w() * s, b.h() * s);
            placed.add(tag(g, Integer.toString(v + 1), rect, VIEW_COLOURS[v % VIEW_COLOURS.length], placed));
        }
    }

    /** (b): the score map, normalised per image, colour-mapped and laid over the grey EMA view. */
    private static void drawScores(BufferedImage img, Graphics2D g, MaskFigure.Figure f, MaskFigure.Row r,
                                   Colormap cmap, int x0, int y0, int T) {
        int Se = f.Se(), Ge = f.Ge();
        float[] m = r.scoreMap();
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float v : m) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        float span = hi > lo ? hi - lo : 1f;
        for (int y = 0; y < T; y++) {
            int sy = y * Se / T;
            int cy = y * Ge / T;
            for (int x = 0; x < T; x++) {
                int base = rgb(r.emaPixels(), Se, Se, sy, x * Se / T);
                double luma = (0.299 * (base >> 16 & 0xFF) + 0.587 * (base >> 8 & 0xFF) + 0.114 * (base & 0xFF));
                int heat = cmap.rgb((m[cy * Ge + x * Ge / T] - lo) / span);
                img.setRGB(x0 + x, y0 + y, blend(heat, luma, HEAT_ALPHA));
            }
        }
        // where each view reads its scores (§5.1: view box inside the EMA box)
        Box e = r.emaBox();
        double sy = (double) T / e.h(), sx = (double) T / e.w();
        for (int v = 0; v < r.views().size(); v++) {
            Box b = r.views().get(v).box();
            Rectangle2D rect = new Rectangle2D.Double(x0 + (b.left() - e.left()) * sx, y0 + (b.top() - e.top()) * sy,
                    b.w() * sx, b.h() * sy);
            outlined(g, clip(rect, x0, y0, T), VIEW_COLOURS[v % VIEW_COLOURS.length], 1.6f, null);
        }
    }

    /** (c): a view with its dropped tokens greyed (nearest-neighbour upscaling, token squares exact). */
    private static void drawView(BufferedImage img, Graphics2D g, MaskFigure.Figure f, float[] pixels, byte[] keep,
                                 Layout L, int x0, int y0, int v) {
        int S = f.S(), p = f.patch(), G = f.G(), k = L.viewScale();
        for (int y = 0; y < L.tile(); y++) {
            int sy = y / k;
            for (int x = 0; x < L.tile(); x++) {
                int sx = x / k;
                int c = rgb(pixels, S, S, sy, sx);
                boolean kept = keep[(sy / p) * G + sx / p] != 0;
                img.setRGB(x0 + x, y0 + y, kept ? c : dropped(c));
            }
        }
        // a frame in the view's colour, outside the tile so the tile's pixels stay the view's
        g.setColor(VIEW_COLOURS[v % VIEW_COLOURS.length]);
        g.setStroke(new BasicStroke(3f));
        g.drawRect(x0 - 3, y0 - 3, L.tile() + 5, L.tile() + 5);
    }

    private static void drawCaption(Graphics2D g, MaskFigure.Row r, Layout L, int yBottom) {
        g.setColor(INK);
        g.setFont(new Font(Font.SANS_SERIF, Font.ITALIC, 13));
        String text = "#" + r.index() + "  \u201c" + r.caption() + "\u201d";
        g.drawString(ellipsize(g.getFontMetrics(), text, L.width() - 2 * MARGIN), MARGIN, yBottom + 19);
    }

    private static void drawLegend(Graphics2D g, MaskFigure.Figure f, Colormap cmap, Layout L) {
        int y = L.height() - MARGIN - LEGEND_H + 14;
        int x = MARGIN;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics fm = g.getFontMetrics();
        g.setColor(INK);
        g.drawString("score (per image)  low", x, y + 10);
        x += fm.stringWidth("score (per image)  low") + 6;
        for (int i = 0; i < 120; i++) {
            g.setColor(new Color(cmap.rgb(i / 119.0)));
            g.fillRect(x + i, y, 1, 12);
        }
        x += 126;
        g.setColor(INK);
        g.drawString("high", x, y + 10);
        x += fm.stringWidth("high") + 24;
        for (int v = 0; v < f.V(); v++) {
            Color c = VIEW_COLOURS[v % VIEW_COLOURS.length];
            g.setColor(c);
            g.setStroke(new BasicStroke(2.5f));
            g.drawRect(x, y, 18, 12);
            g.setColor(INK);
            g.drawString("view " + (v + 1), x + 24, y + 10);
            x += 24 + fm.stringWidth("view " + (v + 1)) + 16;
        }
        outlined(g, new Rectangle2D.Double(x, y, 18, 12), Color.WHITE, 2f, new float[] {4f, 3f});
        g.setColor(INK);
        g.drawString("EMA box", x + 24, y + 10);
        x += 24 + fm.stringWidth("EMA box") + 24;
        g.setColor(new Color(dropped(0xB0B0B0)));
        g.fillRect(x, y, 18, 12);
        g.setColor(INK);
        g.drawString("dropped token", x + 24, y + 10);
    }

    /** A line with a thin dark outline under it, so it shows on any background. */
    private static void outlined(Graphics2D g, Rectangle2D r, Color c, float width, float[] dash) {
        Stroke under = new BasicStroke(width + 2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER);
        g.setColor(new Color(0, 0, 0, 150));
        g.setStroke(under);
        g.draw(r);
        g.setColor(c);
        g.setStroke(dash == null ? new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER)
                : new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, dash, 0f));
        g.draw(r);
    }

    /** A small numbered tag inside a corner of the box, the first corner clear of the tags already placed. */
    private static Rectangle2D tag(Graphics2D g, String text, Rectangle2D box, Color c, java.util.List<Rectangle2D> taken) {
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 11));
        FontMetrics fm = g.getFontMetrics();
        int w = fm.stringWidth(text) + 6, h = fm.getAscent() + 2;
        double[][] corners = {{box.getMinX() + 3, box.getMinY() + 3}, {box.getMaxX() - 3 - w, box.getMinY() + 3},
                {box.getMinX() + 3, box.getMaxY() - 3 - h}, {box.getMaxX() - 3 - w, box.getMaxY() - 3 - h}};
        Rectangle2D spot = null;
        for (double[] xy : corners) {
            Rectangle2D candidate = new Rectangle2D.Double(Math.round(xy[0]), Math.round(xy[1]), w, h);
            boolean free = true;
            for (Rectangle2D t : taken) {
                free &= !t.intersects(candidate.getX() - 2, candidate.getY() - 2, w + 4, h + 4);
            }
            if (free) {
                spot = candidate;
                break;
            }
        }
        if (spot == null) {
            spot = new Rectangle2D.Double(Math.round(corners[0][0]), Math.round(corners[0][1]), w, h);
        }
        int x = (int) spot.getX(), y = (int) spot.getY();
        g.setColor(c);
        g.fillRect(x, y, w, h);
        g.setColor(Color.BLACK);
        g.drawString(text, x + 3, y + fm.getAscent());
        return spot;
    }

    private static Rectangle2D clip(Rectangle2D r, int x0, int y0, int T) {
        return r.createIntersection(new Rectangle2D.Double(x0 + 1, y0 + 1, T - 2, T - 2));
    }

    private static int blend(int heat, double grey, float a) {
        int r = (int) Math.round(a * (heat >> 16 & 0xFF) + (1 - a) * grey);
        int gr = (int) Math.round(a * (heat >> 8 & 0xFF) + (1 - a) * grey);
        int b = (int) Math.round(a * (heat & 0xFF) + (1 - a) * grey);
        return r << 16 | gr << 8 | b;
    }

    private static void fitText(Graphics2D g, String text, int style, int size, int maxW, int x, int y) {
        Font font = new Font(Font.SANS_SERIF, style, size);
        g.setFont(font);
        while (g.getFontMetrics().stringWidth(text) > maxW && font.getSize() > 9) {
            font = font.deriveFont((float) font.getSize() - 1);
            g.setFont(font);
        }
        g.drawString(ellipsize(g.getFontMetrics(), text, maxW), x, y);
    }

    static String ellipsize(FontMetrics fm, String text, int maxW) {
        if (fm.stringWidth(text) <= maxW) {
            return text;
        }
        String t = text;
        while (!t.isEmpty() && fm.stringWidth(t + "…") > maxW) {
            t = t.substring(0, t.length() - 1);
        }
        return t + "…";
    }
}
