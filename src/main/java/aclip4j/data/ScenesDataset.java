package aclip4j.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The built-in procedural data set (no files): {@code H x W} images with one to three coloured shapes on a cluttered,
 * low-contrast background, captions that name the objects and where they are, and a class label (the main object's
 * colour and shape) for zero-shot evaluation.
 *
 * <p>Why it looks like this: A-CLIP's point is that random token dropping can drop the part of the image the caption
 * is about, while attentive dropping keeps it (paper §3.3). So the main object is small most of the time (60% "small",
 * radius 7–10% of the side, about 2% of the image; "large" radius 15–21%) and the background is busy enough that a
 * random half of the patches is mostly clutter.
 *
 * <p>Determinism: scene {@code i} of a split is a pure function of {@code (seed, split, i)} through
 * {@link Seeds#rng}; nothing else (no global generator, no call order) affects it.
 */
public final class ScenesDataset implements Dataset {
    /** Class-prompt templates (SPEC §11). */
    public static final List<String> TEMPLATES = List.of(
            "a photo of a {}.",
            "a {} in a scene.",
            "a picture of a {}.",
            "there is a {} in the image.",
            "a small {}.",
            "a large {}.");

    private static final SceneShape[] SHAPES = SceneShape.values();
    private static final SceneColour[] COLOURS = SceneColour.values();
    private static final List<String> CLASS_NAMES;

    static {
        List<String> names = new ArrayList<>();
        for (SceneColour c : COLOURS) {
            for (SceneShape s : SHAPES) {
                names.add(c.word() + " " + s.word());
            }
        }
        CLASS_NAMES = List.copyOf(names);
    }

    /** Probability that the main object is large. */
    static final double P_MAIN_LARGE = 0.4;
    private static final int SUPERSAMPLE = 4;

    private final long seed;
    private final Split split;
    private final int size, height, width;

    /**
     * @param seed   the data seed
     * @param split  train or held-out
     * @param size   number of images in this split
     * @param height image height H (at least 16)
     * @param width  image width W (at least 16)
     */
    public ScenesDataset(long seed, Split split, int size, int height, int width) {
        if (size <= 0) {
            throw new IllegalArgumentException("scene count " + size + " must be positive");
        }
        if (height < 16 || width < 16) {
            throw new IllegalArgumentException("scene size " + height + "x" + width + " must be at least 16x16");
        }
        this.seed = seed;
        this.split = split;
        this.size = size;
        this.height = height;
        this.width = width;
    }

    /** Class index of {@code colour shape} in {@link #classNames()}. */
    public static int classIndex(SceneColour colour, SceneShape shape) {
        return colour.ordinal() * SHAPES.length + shape.ordinal();
    }

    @Override
    public int size() {
        return size;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    @Override
    public List<String> classNames() {
        return CLASS_NAMES;
    }

    @Override
    public List<String> templates() {
        return TEMPLATES;
    }

    @Override
    public String describe() {
        return "scenes " + split.name().toLowerCase() + " " + size + " images " + height + "x" + width
                + " seed " + seed;
    }

    @Override
    public int label(int i) {
        Scene.Obj m = scene(i).main();
        return classIndex(m.colour(), m.shape());
    }

    /** The layout of scene {@code i} (objects, positions, background seed), without rendering it. */
    public Scene scene(int i) {
        checkIndex(i);
        SplittableRandom rng = Seeds.rng(seed, split.streamId, i);
        int count = pickCount(rng);
        List<Scene.Obj> objs = new ArrayList<>();
        boolean[] usedCell = new boolean[9];
        for (int k = 0; k < count; k++) {
            Scene.Obj o = place(rng, k == 0, objs, usedCell);
            if (o != null) {
                objs.add(o);
            }
        }
        return new Scene(objs, rng.nextLong());
    }

    // 1 object 30%, 2 objects 40%, 3 objects 30%.
    private static int pickCount(SplittableRandom rng) {
        double u = rng.nextDouble();
        return u < 0.3 ? 1 : u < 0.7 ? 2 : 3;
    }

    private Scene.Obj place(SplittableRandom rng, boolean main, List<Scene.Obj> placed, boolean[] usedCell) {
        SceneShape shape;
        SceneColour colour;
        // Distractors differ from the main object (and each other) in colour or shape, so the label is unambiguous.
        while (true) {
            shape = SHAPES[rng.nextInt(SHAPES.length)];
            colour = COLOURS[rng.nextInt(COLOURS.length)];
            boolean clash = false;
            for (Scene.Obj o : placed) {
                clash |= o.shape() == shape && o.colour() == colour;
            }
            if (!clash) {
                break;
            }
        }
        boolean large = rng.nextDouble() < (main ? P_MAIN_LARGE : 0.5);
        int side = Math.min(height, width);
        double radius = side * (large ? rng.nextDouble(0.15, 0.21) : rng.nextDouble(0.07, 0.10));
        radius = Math.max(radius, 2.5);
        double angle = shape == SceneShape.CIRCLE || shape == SceneShape.RING ? 0 : rng.nextDouble(-0.3, 0.3);
        float[] rgb = {jitter(rng, colour.r), jitter(rng, colour.g), jitter(rng, colour.b)};
        for (int attempt = 0; attempt < 30; attempt++) {
            int cell = rng.nextInt(9);
            int row = cell / 3, col = cell % 3;
            if (usedCell[cell]) {
                continue;
            }
            // Centre inside the named third and far enough from the border that the whole object shows.
            double cx = uniformIn(rng, col * width / 3.0, (col + 1) * width / 3.0, radius, width - radius);
            double cy = uniformIn(rng, row * height / 3.0, (row + 1) * height / 3.0, radius, height - radius);
            if (Double.isNaN(cx) || Double.isNaN(cy)) {
                continue;
            }
            boolean overlaps = false;
            for (Scene.Obj o : placed) {
                overlaps |= Math.hypot(o.cx() - cx, o.cy() - cy) < o.radius() + radius + 1.0;
            }
            if (!overlaps) {
                usedCell[cell] = true;
                return new Scene.Obj(shape, colour, rgb, large, cx, cy, radius, angle, row, col);
            }
        }
        if (main) {
            // The centre cell always fits one object: place the main object there rather than fail.
            usedCell[4] = true;
            return new Scene.Obj(shape, colour, rgb, large, width / 2.0, height / 2.0, radius, angle, 1, 1);
        }
        return null; // a distractor that does not fit is left out
    }

    private static float jitter(SplittableRandom rng, float v) {
        return (float) Math.min(1.0, Math.max(0.0, v + rng.nextDouble(-0.06, 0.06)));
    }

    // Uniform in [a,b) ∩ [lo,hi]; NaN when empty. The centre stays strictly inside its third (position words stay true).
    private static double uniformIn(SplittableRandom rng, double a, double b, double lo, double hi) {
        double from = Math.max(a, lo), to = Math.min(b - 1e-9, hi);
        if (from > to) {
            return Double.NaN;
        }
        return from == to ? from : rng.nextDouble(from, to);
    }

    @Override
    public RgbImage image(int i) {
        return render(scene(i));
    }

    /** The main object's coverage: the object the label and the first caption name. */
    @Override
    public Coverage objectCoverage(int i) {
        return new Coverage(coverage(scene(i).main(), height, width), height, width);
    }

    /** Draws a scene: background clutter, then the distractors, then the main object on top. */
    public RgbImage render(Scene scene) {
        int H = height, W = width, plane = H * W;
        float[] px = new float[3 * plane];
        background(px, new SplittableRandom(scene.backgroundSeed()));
        List<Scene.Obj> objs = scene.objects();
        for (int k = objs.size() - 1; k >= 0; k--) {
            Scene.Obj o = objs.get(k);
            float[] cov = coverage(o, H, W);
            for (int p = 0; p < plane; p++) {
                float a = cov[p];
                if (a > 0) {
                    for (int c = 0; c < 3; c++) {
                        px[c * plane + p] = (1 - a) * px[c * plane + p] + a * o.rgb()[c];
                    }
                }
            }
        }
        return new RgbImage(px, H, W);
    }

    /** Fraction of each pixel the object covers ({@code [H*W]}, 4x4 supersampling, so edges are antialiased). */
    public static float[] coverage(Scene.Obj o, int H, int W) {
        float[] cov = new float[H * W];
        int y0 = Math.max(0, (int) Math.floor(o.cy() - o.radius()) - 1);
        int y1 = Math.min(H - 1, (int) Math.ceil(o.cy() + o.radius()) + 1);
        int x0 = Math.max(0, (int) Math.floor(o.cx() - o.radius()) - 1);
        int x1 = Math.min(W - 1, (int) Math.ceil(o.cx() + o.radius()) + 1);
        float unit = 1f / (SUPERSAMPLE * SUPERSAMPLE);
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                int hits = 0;
                for (int sy = 0; sy < SUPERSAMPLE; sy++) {
                    for (int sx = 0; sx < SUPERSAMPLE; sx++) {
                        if (o.contains(x + (sx + 0.5) / SUPERSAMPLE, y + (sy + 0.5) / SUPERSAMPLE)) {
                            hits++;
                        }
                    }
                }
                cov[y * W + x] = hits * unit;
            }
        }
        return cov;
    }

    // Grey-ish base, soft colour-tinted blobs, thin lines and pixel noise: all within about ±0.15 of the base so
    // the clutter has lower contrast than the saturated objects.
    private void background(float[] px, SplittableRandom rng) {
        int H = height, W = width, plane = H * W;
        double base = rng.nextDouble(0.30, 0.55);
        double[] tint = {rng.nextDouble(-0.05, 0.05), rng.nextDouble(-0.05, 0.05), rng.nextDouble(-0.05, 0.05)};
        for (int c = 0; c < 3; c++) {
            java.util.Arrays.fill(px, c * plane, (c + 1) * plane, (float) (base + tint[c]));
        }
        int side = Math.min(H, W);
        int blobs = 5 + rng.nextInt(8);
        for (int k = 0; k < blobs; k++) {
            double bx = rng.nextDouble(W), by = rng.nextDouble(H);
            double sigma = side * rng.nextDouble(0.05, 0.20);
            double amp = rng.nextDouble(-0.12, 0.12);
            double[] amps = {amp + rng.nextDouble(-0.04, 0.04), amp + rng.nextDouble(-0.04, 0.04),
                    amp + rng.nextDouble(-0.04, 0.04)};
            double inv = 1.0 / (2 * sigma * sigma);
            // Beyond 3.5σ the bump adds under 0.0003: skip those pixels.
            int ya = Math.max(0, (int) (by - 3.5 * sigma)), yb = Math.min(H - 1, (int) (by + 3.5 * sigma));
            int xa = Math.max(0, (int) (bx - 3.5 * sigma)), xb = Math.min(W - 1, (int) (bx + 3.5 * sigma));
            for (int y = ya; y <= yb; y++) {
                for (int x = xa; x <= xb; x++) {
                    double dx = x + 0.5 - bx, dy = y + 0.5 - by;
                    double g = Math.exp(-(dx * dx + dy * dy) * inv);
                    int p = y * W + x;
                    for (int c = 0; c < 3; c++) {
                        px[c * plane + p] += (float) (amps[c] * g);
                    }
                }
            }
        }
        int lines = 2 + rng.nextInt(5);
        for (int k = 0; k < lines; k++) {
            double ax = rng.nextDouble(W), ay = rng.nextDouble(H), bx = rng.nextDouble(W), by = rng.nextDouble(H);
            double delta = rng.nextDouble(-0.12, 0.12);
            double halfWidth = rng.nextDouble(0.4, 1.2);
            int ya = Math.max(0, (int) (Math.min(ay, by) - 3)), yb = Math.min(H - 1, (int) (Math.max(ay, by) + 3));
            int xa = Math.max(0, (int) (Math.min(ax, bx) - 3)), xb = Math.min(W - 1, (int) (Math.max(ax, bx) + 3));
            for (int y = ya; y <= yb; y++) {
                for (int x = xa; x <= xb; x++) {
                    double d = segmentDistance(x + 0.5, y + 0.5, ax, ay, bx, by);
                    double a = Math.min(1.0, Math.max(0.0, halfWidth + 0.5 - d));
                    if (a > 0) {
                        int p = y * W + x;
                        for (int c = 0; c < 3; c++) {
                            px[c * plane + p] += (float) (delta * a);
                        }
                    }
                }
            }
        }
        for (int p = 0; p < plane; p++) {
            float n = (float) rng.nextDouble(-0.03, 0.03);
            for (int c = 0; c < 3; c++) {
                int q = c * plane + p;
                px[q] = Math.min(1f, Math.max(0f, px[q] + n));
            }
        }
    }

    private static double segmentDistance(double x, double y, double ax, double ay, double bx, double by) {
        double vx = bx - ax, vy = by - ay;
        double len2 = vx * vx + vy * vy;
        double t = len2 == 0 ? 0 : Math.max(0, Math.min(1, ((x - ax) * vx + (y - ay) * vy) / len2));
        return Math.hypot(x - (ax + t * vx), y - (ay + t * vy));
    }

    /**
     * Three phrasings, each naming the main object's colour and shape first (SPEC §11 retrieval uses them all):
     * "a small red triangle at the top left and a large blue ring on the right.",
     * "a photo of a red triangle in the top left corner next to a blue ring.",
     * "there is a small red triangle at the top left and a blue ring."
     */
    @Override
    public List<String> captions(int i) {
        return captions(scene(i));
    }

    /** The captions of a scene (see {@link #captions(int)}). */
    public static List<String> captions(Scene scene) {
        List<Scene.Obj> objs = scene.objects();
        Scene.Obj m = scene.main();
        List<String> full = new ArrayList<>();
        List<String> plain = new ArrayList<>();
        for (Scene.Obj o : objs) {
            full.add("a " + o.sizedName() + " " + o.at());
            plain.add("a " + o.className());
        }
        List<String> others = plain.subList(1, plain.size());
        String c0 = join(full) + ".";
        String c1 = "a photo of a " + m.className() + " " + m.atAlt()
                + (others.isEmpty() ? "" : " next to " + join(others)) + ".";
        String c2 = "there is a " + m.sizedName() + " " + m.at()
                + (others.isEmpty() ? "" : (others.size() == 1 ? " and " : ", ") + join(others)) + ".";
        return List.of(Templates.article(c0), Templates.article(c1), Templates.article(c2));
    }

    // "x", "x and y", "x, y and z"
    private static String join(List<String> parts) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        return String.join(", ", parts.subList(0, parts.size() - 1)) + " and " + parts.get(parts.size() - 1);
    }
}
