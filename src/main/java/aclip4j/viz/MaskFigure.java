package aclip4j.viz;

import aclip4j.train.RunState;
import aclip4j.Backend;
import aclip4j.data.Augment;
import aclip4j.data.DataSource;
import aclip4j.data.Dataset;
import aclip4j.data.RgbImage;
import aclip4j.data.Seeds;
import aclip4j.data.Split;
import aclip4j.data.Views;
import aclip4j.tensor.Tensor;
import aclip4j.kernel.Lanes;
import aclip4j.mask.AttentionScore;
import aclip4j.mask.Box;
import aclip4j.mask.Boxes;
import aclip4j.mask.TokenSelector;
import aclip4j.tower.PositionEmbedding;
import aclip4j.tower.VisionConfig;
import aclip4j.tower.VisionTower;
import aclip4j.train.AClipStep;
import aclip4j.train.Batches;
import aclip4j.train.Components;
import aclip4j.train.Model;
import aclip4j.train.TrainConfig;
import aclip4j.train.Trainer;
import aclip4j.train.Variant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What the masks picture (paper Fig. 4) shows, computed with a trained model through the training pipeline's own
 * components: for each held-out image the view boxes and the EMA box (§4), the §3 score map of the EMA tower on the
 * EMA view, and each online view's kept tokens (§5: view scores → cells → selection) under a strategy, optionally
 * also under {@code random} for comparison. Nothing here draws; {@link MaskPicture} does.
 *
 * <p>Randomness (boxes, EMA box, noise for {@code random}/{@code mixed}) comes from {@link Seeds#rng} of the
 * picture's own seed and the image index, so a picture is reproducible and independent of the training order.
 */
public final class MaskFigure {
    /** Streams of {@link Seeds#rng}: boxes and augmentation per image; selection noise per image. */
    static final long STREAM_BOXES = 101, STREAM_NOISE = 102;

    private MaskFigure() {}

    /**
     * @param images        held-out images, one row each (the first {@code images} of the split)
     * @param strategy      the §5.4 selection to show
     * @param compareRandom also show each view under {@code random}
     * @param seed          seed of boxes and noise
     * @param backend       which twin computes the towers and mask components
     * @param data          data source, or null for the run's own
     * @param augment       show the online views with the §9 training augmentation (selection does not depend on it)
     */
    public record Options(int images, TokenSelector.Strategy strategy, boolean compareRandom, long seed,
                          Backend backend, String data, boolean augment) {
        public Options {
            if (images < 1) {
                throw new IllegalArgumentException("--images is " + images + ", expected at least 1");
            }
            if (compareRandom && strategy == TokenSelector.Strategy.RANDOM) {
                throw new IllegalArgumentException("--compare-random with --strategy random would show the same"
                        + " masks twice: choose low, high or mixed");
            }
        }
    }

    /**
     * One online view of one image.
     *
     * @param box        the view box in source pixels
     * @param pixels     [3,S,S] the view as the online tower sees it, un-normalised to [0,1] for display
     * @param cellScores [g,g] the view's pooled scores (§5.2)
     * @param noise      [g,g] the uniform noise used by {@code random} / {@code mixed}
     * @param keep       [N] 1 where the chosen strategy keeps the patch token
     * @param keepRandom [N] the same under {@code random}, or null without {@code compareRandom}
     */
    public record View(Box box, float[] pixels, float[] cellScores, float[] noise, byte[] keep, byte[] keepRandom) {}

    /**
     * One image.
     *
     * @param index     index in the held-out split
     * @param emaBox    the EMA box (§4.3) in source pixels
     * @param emaPixels [3,Se,Se] the EMA view in [0,1]
     * @param scoreMap  [Ge,Ge] the §3 score of the EMA view
     */
    public record Row(int index, RgbImage source, String caption, Box emaBox, float[] emaPixels, float[] scoreMap,
                      List<View> views) {}

    /**
     * The whole picture's content.
     *
     * @param emaTower   true when the scores come from the EMA tower, false when the run has none (online tower)
     * @param step       the checkpoint's optimiser step
     * @param S          online view side; {@code Se} EMA view side; {@code patch} ViT patch p
     * @param r          patches per mask-cell side; {@code keepCells} K cells kept per view; {@code mixedTop} for mixed
     */
    public record Figure(boolean emaTower, long step, Variant variant, String model, TokenSelector.Strategy strategy,
                         boolean compareRandom, int S, int Se, int patch, int r, int keepCells, int mixedTop,
                         AttentionScore.Layers scoreLayers, String data, long seed, List<Row> rows) {
        public int G() {
            return S / patch;
        }

        public int Ge() {
            return Se / patch;
        }

        /** Patch tokens per view N. */
        public int N() {
            return G() * G();
        }

        /** Cell grid side g. */
        public int g() {
            return G() / r;
        }

        /** Cells per view n. */
        public int n() {
            return g() * g();
        }

        /** Patch tokens kept per view, {@code K r r}. */
        public int kept() {
            return keepCells * r * r;
        }

        /** Online views V. */
        public int V() {
            return rows.get(0).views().size();
        }
    }

    /** Computes the picture's content for a loaded run. */
    public static Figure compute(RunState.Loaded run, Options opt) {
        TrainConfig cfg = run.config();
        Model m = run.model();
        VisionConfig vc = m.vision;
        int S = vc.imageSize();
        int p = vc.patch();
        int G = vc.grid();
        int N = vc.tokens();
        boolean ema = !m.ema.isEmpty();
        // §10 A-CLIP-eff scores a half-resolution EMA view; the online tower (no EMA copy) sees the full view
        int Se = ema && cfg.variant() == Variant.ACLIP_EFF ? S / 2 : S;
        int Ge = Se / p;
        AClipStep.Settings st = Trainer.settings(cfg, vc, Se); // cells, K and mixed top cells as the trainer's (§5)
        int r = st.patchesPerCell();
        int g = G / r;
        int n = g * g;
        int K = st.keepCells();
        int mixedTop = st.mixedTopCells();
        int V = cfg.views();
        AttentionScore.Layers layers = st.scoreLayers();
        int B = opt.images();

        String source = opt.data() != null ? opt.data() : cfg.data();
        Dataset data = DataSource.parse(source).open(Split.TEST, new DataSource.Options(cfg.seed(), S, 20000, B));
        if (B > data.size()) {
            throw new IllegalArgumentException("--images " + B + ", but the held-out split of " + source + " has "
                    + data.size() + " images");
        }
        Components c = Components.of(opt.backend(), vc, Se, m.text, m.heads, Lanes.preferred());
        Boxes.Enclosing mode = cfg.enclosing();
        Augment augment = new Augment(opt.augment() ? Augment.Config.paper() : Augment.Config.none());

        // §4: boxes and views of every image, as the trainer draws them
        float[] emaViews = new float[B * 3 * Se * Se];
        int[] emaBoxes = new int[B * 4];
        int[][] viewBoxes = new int[V][B * 4];
        float[][][] viewPixels = new float[B][V][];
        float[][] emaPixels = new float[B][];
        List<Box[]> boxes = new ArrayList<>();
        float[][] noise = new float[V][B * n];
        for (int b = 0; b < B; b++) {
            SplittableRandom rng = Seeds.rng(opt.seed(), STREAM_BOXES, b);
            Batches.ImageViews iv = Batches.draw(data.image(b), V, true, mode, S, Se, augment, rng);
            Views.Sample sample = iv.pixels();
            for (int v = 0; v < V; v++) {
                System.arraycopy(iv.viewBoxes()[v].toArray(), 0, viewBoxes[v], b * 4, 4);
            }
            System.arraycopy(iv.emaBox().toArray(), 0, emaBoxes, b * 4, 4);
            System.arraycopy(sample.ema(), 0, emaViews, b * 3 * Se * Se, 3 * Se * Se);
            emaPixels[b] = unnormalize(sample.ema(), Se);
            for (int v = 0; v < V; v++) {
                viewPixels[b][v] = unnormalize(sample.online()[v], S);
            }
            Box[] all = java.util.Arrays.copyOf(iv.viewBoxes(), V + 1);
            all[V] = iv.emaBox();
            boxes.add(all);
            SplittableRandom nr = Seeds.rng(opt.seed(), STREAM_NOISE, b);
            for (int v = 0; v < V; v++) {
                for (int j = 0; j < n; j++) {
                    noise[v][b * n + j] = (float) nr.nextDouble();
                }
            }
        }

        // §3: score map of the full EMA view (EMA tower; the online tower when the run has no EMA copy)
        Map<String, Tensor> weights = ema ? m.ema : m.online;
        if (Se != S) { // §1.7: position embeddings resampled to the EMA grid, as the training step does
            weights = PositionEmbedding.atResolution(weights, m.vision, Se);
        }
        VisionTower.Pass pass = c.emaVision().forward(weights, emaViews, B, null, 0, true,
                layers == AttentionScore.Layers.LAST);
        float[] scores = AClipStep.scoreMap(c, pass, m.vision, B, Se); // [B, Ge*Ge]

        // §5: view scores → cells → kept tokens, per view
        byte[][] keep = new byte[V][];
        byte[][] keepRandom = new byte[V][];
        float[][] cells = new float[V][];
        for (int v = 0; v < V; v++) {
            float[] vs = c.viewScores().viewScores(scores, B, Ge, emaBoxes, viewBoxes[v], G);
            cells[v] = c.cellPooling().pool(vs, B, G, r);
            keep[v] = c.tokenSelector().select(cells[v], noise[v], B, g, r, opt.strategy(), K, mixedTop).keepMask();
            if (opt.compareRandom()) {
                keepRandom[v] = c.tokenSelector().select(cells[v], noise[v], B, g, r, TokenSelector.Strategy.RANDOM,
                        K, mixedTop).keepMask();
            }
        }

        List<Row> rows = new ArrayList<>();
        for (int b = 0; b < B; b++) {
            List<View> views = new ArrayList<>();
            for (int v = 0; v < V; v++) {
                views.add(new View(boxes.get(b)[v], viewPixels[b][v], slice(cells[v], b, n), slice(noise[v], b, n),
                        slice(keep[v], b, N), opt.compareRandom() ? slice(keepRandom[v], b, N) : null));
            }
            rows.add(new Row(b, data.image(b), data.captions(b).get(0), boxes.get(b)[V], emaPixels[b],
                    slice(scores, b, Ge * Ge), List.copyOf(views)));
        }
        return new Figure(ema, run.checkpoint().step(), cfg.variant(), cfg.model(), opt.strategy(),
                opt.compareRandom(), S, Se, p, r, K, mixedTop, layers, source, opt.seed(), List.copyOf(rows));
    }

    /** §9 normalisation undone, {@code x * std + mean}, clamped to [0,1]: [3,size,size]. */
    static float[] unnormalize(float[] x, int size) {
        int plane = size * size;
        float[] out = new float[3 * plane];
        for (int ch = 0; ch < 3; ch++) {
            for (int i = 0; i < plane; i++) {
                float v = x[ch * plane + i] * Augment.STD[ch] + Augment.MEAN[ch];
                out[ch * plane + i] = Math.max(0f, Math.min(1f, v));
            }
        }
        return out;
    }

    private static float[] slice(float[] a, int b, int len) {
        float[] out = new float[len];
        System.arraycopy(a, b * len, out, 0, len);
        return out;
    }

    private static byte[] slice(byte[] a, int b, int len) {
        byte[] out = new byte[len];
        System.arraycopy(a, b * len, out, 0, len);
        return out;
    }
}
