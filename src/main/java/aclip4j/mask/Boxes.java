package aclip4j.mask;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The boxes of SPEC §4: each online view's RandomResizedCrop box, their union {@code U}, and the EMA box
 * {@code E} that encloses {@code U} (the "shared EMA score map" of the paper). Boxes are {@link Box}es in
 * source pixels; randomness always comes from a generator or uniform draws passed in. Plain Java, one
 * implementation: a handful of integer operations per image.
 */
public final class Boxes {
    /** RandomResizedCrop defaults (SPEC §4.1): area fraction in [0.5, 1], aspect ratio (w/h) in [3/4, 4/3]. */
    public static final double SCALE_MIN = 0.5;
    public static final double SCALE_MAX = 1.0;
    public static final double RATIO_MIN = 3.0 / 4.0;
    public static final double RATIO_MAX = 4.0 / 3.0;
    /** Sampling tries before the centred fallback, as torchvision. */
    public static final int TRIES = 10;

    /** How the EMA box is chosen (SPEC §4.3). */
    public enum Enclosing implements aclip4j.Choice {
        /** {@code random}: {@code E} enlarges {@code U} at random, still inside the image. */
        RANDOM,
        /** {@code minimal}: {@code E = U}. */
        MINIMAL;

        /** Parses {@code random} or {@code minimal} (any case). */
        public static Enclosing parse(String name) {
            return aclip4j.Choice.parse(Enclosing.class, name, "enclosing");
        }
    }

    private Boxes() {}

    /** A RandomResizedCrop box with the SPEC §4.1 scale and ratio ranges. */
    public static Box randomResizedCrop(int imageH, int imageW, RandomGenerator rng) {
        return randomResizedCrop(imageH, imageW, SCALE_MIN, SCALE_MAX, RATIO_MIN, RATIO_MAX, rng);
    }

    /**
     * torchvision's {@code RandomResizedCrop.get_params}: up to {@value #TRIES} tries of an area fraction uniform
     * in {@code [scaleMin, scaleMax]} and an aspect ratio {@code w/h} log-uniform in {@code [ratioMin, ratioMax]},
     * {@code w = round(sqrt(area·ratio))}, {@code h = round(sqrt(area/ratio))} (round half to even, as Python);
     * the first that fits is placed with {@code top} uniform in {@code [0, H − h]} and {@code left} in
     * {@code [0, W − w]}. If none fits, a centred crop: the whole image, or the largest one whose ratio is
     * clamped to the range. Draws, in order per try: area, ratio, then top and left once it fits.
     */
    public static Box randomResizedCrop(int imageH, int imageW, double scaleMin, double scaleMax,
                                        double ratioMin, double ratioMax, RandomGenerator rng) {
        checkImage(imageH, imageW);
        if (!(scaleMin > 0 && scaleMin <= scaleMax && Double.isFinite(scaleMax))) {
            throw new IllegalArgumentException("crop scale [" + scaleMin + ", " + scaleMax
                    + "], expected 0 < min <= max");
        }
        if (!(ratioMin > 0 && ratioMin <= ratioMax && Double.isFinite(ratioMax))) {
            throw new IllegalArgumentException("crop ratio [" + ratioMin + ", " + ratioMax
                    + "], expected 0 < min <= max");
        }
        double area = (double) imageH * imageW;
        double logRatioMin = Math.log(ratioMin);
        double logRatioMax = Math.log(ratioMax);
        for (int attempt = 0; attempt < TRIES; attempt++) {
            double targetArea = area * uniform(rng, scaleMin, scaleMax);
            double ratio = Math.exp(uniform(rng, logRatioMin, logRatioMax));
            int w = (int) Math.rint(Math.sqrt(targetArea * ratio));
            int h = (int) Math.rint(Math.sqrt(targetArea / ratio));
            if (0 < w && w <= imageW && 0 < h && h <= imageH) {
                int top = rng.nextInt(imageH - h + 1);
                int left = rng.nextInt(imageW - w + 1);
                return new Box(top, left, h, w);
            }
        }
        return centredFallback(imageH, imageW, ratioMin, ratioMax);
    }

    /** The centred crop torchvision falls back to, with the image's ratio clamped to {@code [ratioMin, ratioMax]}. */
    static Box centredFallback(int imageH, int imageW, double ratioMin, double ratioMax) {
        double inRatio = (double) imageW / imageH;
        int w;
        int h;
        if (inRatio < ratioMin) {
            w = imageW;
            h = (int) Math.rint(w / ratioMin);
        } else if (inRatio > ratioMax) {
            h = imageH;
            w = (int) Math.rint(h * ratioMax);
        } else {
            w = imageW;
            h = imageH;
        }
        // a thin image can round a side to 0; keep at least one pixel
        h = Math.max(1, Math.min(h, imageH));
        w = Math.max(1, Math.min(w, imageW));
        return new Box((imageH - h) / 2, (imageW - w) / 2, h, w);
    }

    /** The union box {@code U} of SPEC §4.2: min top, min left, max bottom, max right. */
    public static Box union(List<Box> views) {
        if (views.isEmpty()) {
            throw new IllegalArgumentException("union of no view boxes, expected at least one");
        }
        int top = Integer.MAX_VALUE;
        int left = Integer.MAX_VALUE;
        int bottom = Integer.MIN_VALUE;
        int right = Integer.MIN_VALUE;
        for (Box b : views) {
            top = Math.min(top, b.top());
            left = Math.min(left, b.left());
            bottom = Math.max(bottom, b.bottom());
            right = Math.max(right, b.right());
        }
        return new Box(top, left, bottom - top, right - left);
    }

    /**
     * The EMA box {@code E} of SPEC §4.3 for one image, from four uniform draws in {@code [0, 1]} (ignored in
     * {@link Enclosing#MINIMAL} mode): {@code top_e} in {@code [0, top_u]}, {@code left_e} in {@code [0, left_u]},
     * {@code h_e} in {@code [bottom_u − top_e, Hs − top_e]}, {@code w_e} in {@code [right_u − left_e, Ws − left_e]},
     * each by {@link #drawInt}. The top and left are drawn first, so {@code E} always contains {@code U}.
     * Every view must lie inside the {@code imageH x imageW} image.
     */
    public static Box enclosing(List<Box> views, int imageH, int imageW, Enclosing mode,
                                double uTop, double uLeft, double uH, double uW) {
        checkImage(imageH, imageW);
        for (int v = 0; v < views.size(); v++) {
            Box b = views.get(v);
            if (!b.insideImage(imageH, imageW)) {
                throw new IllegalArgumentException("view box " + v + " " + b + " reaches row " + b.bottom()
                        + ", column " + b.right() + ": outside the " + imageH + " x " + imageW + " image");
            }
        }
        Box u = union(views);
        if (mode == Enclosing.MINIMAL) {
            return u;
        }
        int top = drawInt(uTop, 0, u.top());
        int left = drawInt(uLeft, 0, u.left());
        int h = drawInt(uH, u.bottom() - top, imageH - top);
        int w = drawInt(uW, u.right() - left, imageW - left);
        return new Box(top, left, h, w);
    }

    /** {@link #enclosing} with the four draws taken from {@code rng} as floats in {@code [0, 1)}, in golden order. */
    public static Box enclosing(List<Box> views, int imageH, int imageW, Enclosing mode, RandomGenerator rng) {
        if (mode == Enclosing.MINIMAL) {
            return enclosing(views, imageH, imageW, mode, 0, 0, 0, 0);
        }
        float uTop = rng.nextFloat();
        float uLeft = rng.nextFloat();
        float uH = rng.nextFloat();
        float uW = rng.nextFloat();
        return enclosing(views, imageH, imageW, mode, uTop, uLeft, uH, uW);
    }

    /**
     * The golden batch form (component {@code enclosing_box}): {@code viewBoxes} {@code [B,V,4]},
     * {@code imageHw} {@code [B,2]}, {@code u} {@code [B,4]} (may be null in minimal mode); returns {@code [B,4]}.
     */
    public static int[] enclosing(int[] viewBoxes, int[] imageHw, float[] u, int B, int V, Enclosing mode) {
        if (B < 0 || V < 1) {
            throw new IllegalArgumentException("enclosing box for B = " + B + " images of V = " + V
                    + " views, expected B >= 0 and V >= 1");
        }
        if (viewBoxes.length != B * V * 4 || imageHw.length != B * 2) {
            throw new IllegalArgumentException("view_boxes has " + viewBoxes.length + " values and image_hw "
                    + imageHw.length + ", expected [B,V,4] = " + B * V * 4 + " and [B,2] = " + B * 2);
        }
        if (mode == Enclosing.RANDOM && (u == null || u.length != B * 4)) {
            throw new IllegalArgumentException("random enclosing needs u [B,4] = " + B * 4 + " draws, got "
                    + (u == null ? "none" : u.length));
        }
        int[] out = new int[B * 4];
        for (int b = 0; b < B; b++) {
            List<Box> views = new ArrayList<>(V);
            for (int v = 0; v < V; v++) {
                int o = (b * V + v) * 4;
                try {
                    views.add(new Box(viewBoxes[o], viewBoxes[o + 1], viewBoxes[o + 2], viewBoxes[o + 3]));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("image " + b + ", view " + v + ": " + e.getMessage(), e);
                }
            }
            Box e;
            try {
                e = mode == Enclosing.MINIMAL
                        ? enclosing(views, imageHw[2 * b], imageHw[2 * b + 1], mode, 0, 0, 0, 0)
                        : enclosing(views, imageHw[2 * b], imageHw[2 * b + 1], mode,
                                u[4 * b], u[4 * b + 1], u[4 * b + 2], u[4 * b + 3]);
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("image " + b + ": " + ex.getMessage(), ex);
            }
            System.arraycopy(e.toArray(), 0, out, 4 * b, 4);
        }
        return out;
    }

    /**
     * An integer uniform in {@code [lo, hi]} from a draw {@code u} in {@code [0, 1]} (goldens/README.md):
     * {@code lo + floor(u·(hi − lo + 1))}, capped at {@code hi} so {@code u = 1} gives {@code hi}.
     */
    public static int drawInt(double u, int lo, int hi) {
        if (!(u >= 0.0 && u <= 1.0)) {
            throw new IllegalArgumentException("uniform draw u = " + u + ", expected a value in [0, 1]");
        }
        if (lo > hi) {
            throw new IllegalArgumentException("integer draw from the empty range [" + lo + ", " + hi + "]");
        }
        long value = lo + (long) Math.floor(u * ((long) hi - lo + 1));
        return (int) Math.min(value, hi);
    }

    private static double uniform(RandomGenerator rng, double lo, double hi) {
        return lo + (hi - lo) * rng.nextDouble();
    }

    private static void checkImage(int imageH, int imageW) {
        if (imageH < 1 || imageW < 1) {
            throw new IllegalArgumentException("image size " + imageH + " x " + imageW + ", expected both >= 1");
        }
    }
}
