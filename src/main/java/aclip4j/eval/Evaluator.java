package aclip4j.eval;

import aclip4j.data.Augment;
import aclip4j.data.Dataset;
import aclip4j.data.RgbImage;
import aclip4j.data.Tokenizer;
import aclip4j.data.Views;
import aclip4j.tensor.Tensor;
import aclip4j.tower.TextTower;
import aclip4j.tower.VisionTower;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Zero-shot classification and retrieval (SPEC §11) of a model's towers on held-out images. Each image is seen as
 * its centred short-side square resized to S ({@link #centreSquare}; a square image whole), normalised, every token
 * kept; class embeddings are the normalised mean of the
 * normalised embeddings of the class's template prompts.
 */
public final class Evaluator {
    private Evaluator() {}

    /** The metrics of one evaluation; NaN where the data has no classes. */
    public record Report(double zeroShotTop1, double zeroShotTop5, double i2tR1, double i2tR5, double i2tR10,
                         double t2iR1, double t2iR5, double t2iR10, int images, String towers) {
        public JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("zero_shot_top1", zeroShotTop1);
            o.addProperty("zero_shot_top5", zeroShotTop5);
            o.addProperty("i2t_r1", i2tR1);
            o.addProperty("i2t_r5", i2tR5);
            o.addProperty("i2t_r10", i2tR10);
            o.addProperty("t2i_r1", t2iR1);
            o.addProperty("t2i_r5", t2iR5);
            o.addProperty("t2i_r10", t2iR10);
            o.addProperty("images", images);
            o.addProperty("towers", towers);
            return o;
        }

        public String summary() {
            return String.format(java.util.Locale.ROOT,
                    "zero-shot top-1 %.1f%% top-5 %.1f%% | image→text R@1 %.1f%% R@5 %.1f%% | text→image R@1 %.1f%% R@5 %.1f%% (%d images, %s towers)",
                    100 * zeroShotTop1, 100 * zeroShotTop5, 100 * i2tR1, 100 * i2tR5, 100 * t2iR1, 100 * t2iR5,
                    images, towers);
        }
    }

    /**
     * @param weights the tower weights to use (EMA or online, see {@code Model.evalWeights})
     * @param S       view resolution
     * @param images  how many of the data set's first images to use
     * @param batch   images per tower call
     */
    /**
     * The evaluation view of an {@code H x W} image, as the official code's {@code Resize(S)} then {@code CenterCrop(S)}
     * see it: the centred square of the short side (offsets rounded half to even, as torchvision's {@code round}),
     * which {@link Views#crop} then resizes to {@code S x S} in one bilinear step. A square image is its whole self;
     * a non-square one is cropped, never squashed.
     */
    static int[] centreSquare(int H, int W) {
        int side = Math.min(H, W);
        return new int[] {(int) Math.rint((H - side) / 2.0), (int) Math.rint((W - side) / 2.0), side, side};
    }

    /** Which patch tokens of a batch of evaluation images the vision tower sees: {@code [B, kept]} ascending. */
    public interface Masker {
        int[] keep(float[] pixels, int B);

        /** Patch tokens kept per image. */
        int kept();
    }

    public static Report evaluate(VisionTower vision, TextTower text, Map<String, Tensor> weights, int S, int E,
                                  Dataset data, Tokenizer tokenizer, int images, int batch, String towers) {
        return evaluate(vision, text, weights, S, E, data, tokenizer, images, batch, towers, null);
    }

    /** As above; with a {@code masker} the images are seen through its kept tokens only (an analysis, not §11). */
    public static Report evaluate(VisionTower vision, TextTower text, Map<String, Tensor> weights, int S, int E,
                                  Dataset data, Tokenizer tokenizer, int images, int batch, String towers,
                                  Masker masker) {
        int n = Math.min(images, data.size());
        if (n < 1) {
            throw new IllegalArgumentException("evaluation needs at least one image, the data set has " + data.size());
        }
        float[] imageEmbed = new float[n * E];
        for (int start = 0; start < n; start += batch) {
            int B = Math.min(batch, n - start);
            float[] pixels = new float[B * 3 * S * S];
            for (int b = 0; b < B; b++) {
                RgbImage img = data.image(start + b);
                float[] x = Views.crop(img, centreSquare(img.height(), img.width()), S);
                Augment.normalize(x, S, S);
                System.arraycopy(x, 0, pixels, b * 3 * S * S, 3 * S * S);
            }
            int[] keep = masker == null ? null : masker.keep(pixels, B);
            float[] f = vision.forward(weights, pixels, B, keep, keep == null ? 0 : masker.kept(), false, false)
                    .features();
            System.arraycopy(f, 0, imageEmbed, start * E, B * E);
        }
        normalizeRows(imageEmbed, n, E);

        // retrieval over every caption of every image
        List<String> captions = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            for (String c : data.captions(i)) {
                captions.add(c);
                owner.add(i);
            }
        }
        float[] textEmbed = embedTexts(text, weights, tokenizer, captions, E, batch);
        int[] textImage = owner.stream().mapToInt(Integer::intValue).toArray();
        double[] sim = RankingMetrics.similarities(imageEmbed, n, textEmbed, captions.size(), E);
        int T = captions.size();
        double i2t1 = RankingMetrics.imageToTextRecall(sim, n, T, textImage, 1);
        double i2t5 = RankingMetrics.imageToTextRecall(sim, n, T, textImage, 5);
        double i2t10 = RankingMetrics.imageToTextRecall(sim, n, T, textImage, 10);
        double t2i1 = RankingMetrics.textToImageRecall(sim, n, T, textImage, 1);
        double t2i5 = RankingMetrics.textToImageRecall(sim, n, T, textImage, 5);
        double t2i10 = RankingMetrics.textToImageRecall(sim, n, T, textImage, 10);

        double top1 = Double.NaN;
        double top5 = Double.NaN;
        int C = data.classNames().size();
        if (C > 0) {
            float[] classEmbed = new float[C * E];
            for (int c = 0; c < C; c++) {
                List<String> prompts = data.prompts(c);
                float[] p = embedTexts(text, weights, tokenizer, prompts, E, batch);
                for (int t = 0; t < prompts.size(); t++) {
                    for (int e = 0; e < E; e++) {
                        classEmbed[c * E + e] += p[t * E + e] / prompts.size();
                    }
                }
            }
            normalizeRows(classEmbed, C, E);
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = data.label(i);
            }
            double[] cs = RankingMetrics.similarities(imageEmbed, n, classEmbed, C, E);
            top1 = RankingMetrics.topK(cs, n, C, labels, 1);
            top5 = RankingMetrics.topK(cs, n, C, labels, 5);
        }
        return new Report(top1, top5, i2t1, i2t5, i2t10, t2i1, t2i5, t2i10, n, towers);
    }

    /** Normalised text embeddings [texts.size(), E]. */
    static float[] embedTexts(TextTower text, Map<String, Tensor> weights, Tokenizer tokenizer, List<String> texts,
                              int E, int batch) {
        float[] out = new float[texts.size() * E];
        for (int start = 0; start < texts.size(); start += batch) {
            int B = Math.min(batch, texts.size() - start);
            int[] tokens = tokenizer.encodeBatch(texts.subList(start, start + B));
            float[] f = text.forward(weights, tokens, B).features();
            System.arraycopy(f, 0, out, start * E, B * E);
        }
        normalizeRows(out, texts.size(), E);
        return out;
    }

    /** x / max(||x||, 1e-12) per row (SPEC §6), in place. */
    static void normalizeRows(float[] x, int rows, int E) {
        for (int i = 0; i < rows; i++) {
            double ss = 0;
            for (int e = 0; e < E; e++) {
                ss += (double) x[i * E + e] * x[i * E + e];
            }
            float inv = (float) (1 / Math.max(Math.sqrt(ss), 1e-12));
            for (int e = 0; e < E; e++) {
                x[i * E + e] *= inv;
            }
        }
    }
}
