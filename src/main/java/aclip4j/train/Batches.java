package aclip4j.train;

import aclip4j.data.Augment;
import aclip4j.data.Dataset;
import aclip4j.data.RgbImage;
import aclip4j.data.Seeds;
import aclip4j.data.Tokenizer;
import aclip4j.data.Views;
import aclip4j.kernel.Parallel;
import aclip4j.mask.Box;
import aclip4j.mask.Boxes;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Batch making (SPEC §4, §9): which images a step sees, their view boxes, the EMA box around them, the rendered and
 * augmented views, a caption each, and the selection noise. Every random choice of step {@code i} comes from
 * generators derived from {@code (seed, i)} alone, so a resumed run draws exactly the batches it would have drawn.
 */
public final class Batches {
    /** Random streams of {@link Seeds#rng(long, long, long)}: one per purpose, so changing one never shifts another. */
    static final long STREAM_INIT = 1, STREAM_ORDER = 2, STREAM_IMAGE = 3, STREAM_NOISE = 4;

    /**
     * One image's views (§4): {@code V} RandomResizedCrop boxes, the EMA box enclosing them (null when not asked
     * for), and the rendered pixels of each.
     */
    public record ImageViews(Box[] viewBoxes, Box emaBox, Views.Sample pixels) {}

    /**
     * Draws one image's views from {@code rng}, in the order the trainer always has: the V view boxes, then the EMA
     * box (when {@code withEma}), then the augmentations of {@link Views#render}.
     */
    public static ImageViews draw(RgbImage img, int V, boolean withEma, Boxes.Enclosing mode, int S, int Se,
                                  Augment augment, SplittableRandom rng) {
        Box[] boxes = new Box[V];
        int[][] arrays = new int[V][];
        for (int v = 0; v < V; v++) {
            boxes[v] = Boxes.randomResizedCrop(img.height(), img.width(), rng);
            arrays[v] = boxes[v].toArray();
        }
        Box eb = withEma ? Boxes.enclosing(List.of(boxes), img.height(), img.width(), mode, rng) : null;
        Views.Sample sample = Views.render(img, arrays, S, eb == null ? null : eb.toArray(), Se, augment, rng);
        return new ImageViews(boxes, eb, sample);
    }

    private final TrainConfig cfg;
    private final Dataset train;
    private final Tokenizer tokenizer;
    private final Augment augment;
    private final int S, Se, V, g;
    private long cachedEpoch = -1;
    private int[] cachedPerm;

    /**
     * @param S  the online view resolution
     * @param Se the EMA view resolution
     * @param g  mask cells per side (one noise value per cell)
     */
    Batches(TrainConfig cfg, Dataset train, Tokenizer tokenizer, int S, int Se, int V, int g) {
        this.cfg = cfg;
        this.train = train;
        this.tokenizer = tokenizer;
        this.augment = new Augment(cfg.augment() ? Augment.Config.paper() : Augment.Config.none());
        this.S = S;
        this.Se = Se;
        this.V = V;
        this.g = g;
    }

    /**
     * Micro-batch images {@code [first, first+B)} of step {@code i}: views, boxes, noise, captions (§4, §9). The
     * images are made in parallel, one {@link Parallel} task each: an image draws only from its own stream
     * {@code (seed, STREAM_IMAGE, global index)} and writes only its own slices, so the batch has the same bits for
     * any thread count (the data sets' {@link Dataset#image} and {@link Dataset#captions} are called from several
     * threads). Made serially, a ViT-S/16 batch of 32 took 0.37-0.56 s of a step with the second core idle
     * (BENCHMARKS.md, Zen 3 fifth-session section).
     */
    public AClipStep.Batch make(int i, int first, int B) {
        boolean ema = cfg.variant().ema;
        float[][] views = new float[V][B * 3 * S * S];
        float[] emaView = ema ? new float[B * 3 * Se * Se] : null;
        int[] viewBoxes = new int[B * V * 4];
        int[] emaBox = new int[B * 4];
        long base = (long) i * cfg.batch() + first; // the run-wide index of this micro-batch's first image
        int[] index = new int[B];
        for (int b = 0; b < B; b++) {
            index[b] = sampleIndex(base + b); // serially: the permutation is cached
        }
        String[] captions = new String[B];
        Parallel.forEach(B, b -> {
            SplittableRandom rng = Seeds.rng(cfg.seed(), STREAM_IMAGE, base + b);
            ImageViews iv = draw(train.image(index[b]), V, ema, cfg.enclosing(), S, Se, augment, rng);
            for (int v = 0; v < V; v++) {
                System.arraycopy(iv.viewBoxes()[v].toArray(), 0, viewBoxes, (b * V + v) * 4, 4);
                System.arraycopy(iv.pixels().online()[v], 0, views[v], b * 3 * S * S, 3 * S * S);
            }
            if (ema) {
                System.arraycopy(iv.emaBox().toArray(), 0, emaBox, b * 4, 4);
                System.arraycopy(iv.pixels().ema(), 0, emaView, b * 3 * Se * Se, 3 * Se * Se);
            }
            List<String> options = train.captions(index[b]);
            captions[b] = options.get(rng.nextInt(options.size()));
        });
        float[][] noise = new float[V][B * g * g];
        SplittableRandom nr = Seeds.rng(cfg.seed(), STREAM_NOISE, base);
        for (int v = 0; v < V; v++) {
            for (int j = 0; j < noise[v].length; j++) {
                noise[v][j] = (float) nr.nextDouble();
            }
        }
        return new AClipStep.Batch(B, views, emaView, viewBoxes, emaBox, tokenizer.encodeBatch(List.of(captions)), noise);
    }

    /** Sample {@code global} of the run: epochs visit every image once, in an order derived from (seed, epoch). */
    public int sampleIndex(long global) {
        int n = train.size();
        long epoch = global / n;
        int pos = (int) (global % n);
        return permutation(epoch, n)[pos];
    }

    private int[] permutation(long epoch, int n) {
        if (epoch != cachedEpoch) {
            int[] p = new int[n];
            for (int k = 0; k < n; k++) {
                p[k] = k;
            }
            SplittableRandom r = Seeds.rng(cfg.seed(), STREAM_ORDER, epoch);
            for (int k = n - 1; k > 0; k--) {
                int j = r.nextInt(k + 1);
                int tmp = p[k];
                p[k] = p[j];
                p[j] = tmp;
            }
            cachedPerm = p;
            cachedEpoch = epoch;
        }
        return cachedPerm;
    }
}
