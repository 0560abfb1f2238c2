package aclip4j.train;

import aclip4j.tower.HeadsConfig;
import aclip4j.tower.TextConfig;
import aclip4j.tower.VisionConfig;

/**
 * The model FLOPs of one training step, counted from the config — the rule {@code aclip4j bench} reports GFLOP/s by.
 * Only matrix products count, each multiply-add as 2 FLOPs: the patch embedding, every block's {@code qkv},
 * {@code q·kᵀ}, {@code attention·v}, output projection and two MLP linears, the towers' projections, the SSL heads'
 * linears and the CLIP logits. A backward pass costs twice its forward (gradients of inputs and of weights); the
 * EMA tower runs forward only; element-wise work (LayerNorm, GELU, softmax, AdamW, the EMA update) is not counted.
 * Each tower reads one row per sample of its last block (CLS, end of text), so that block's output projection and
 * MLP count for that row alone, its {@code qkv} and attention for every row; and the causal text tower counts the
 * positions up to the batch's last end of text, not the padded context. These are the FLOPs the step needs, which
 * is what the SIMD towers compute; a twin that runs every row of every block (the ND4J twin) does more than is
 * counted.
 */
public final class StepFlops {
    private StepFlops() {}

    /** One block of width {@code D} over {@code T} tokens, MLP ratio {@code mlp}: forward FLOPs. */
    static double block(double T, double D, double mlp) {
        return 2 * T * D * 3 * D + 2 * 2 * T * T * D + 2 * T * D * D + 2 * 2 * T * D * mlp * D;
    }

    /**
     * The last block of a tower, forward: {@code qkv} and attention over all T rows, the output projection and the
     * MLP over the one row read after it.
     */
    static double lastBlock(double T, double D, double mlp) {
        return 2 * T * D * 3 * D + 2 * 2 * T * T * D + 2 * D * D + 2 * 2 * D * mlp * D;
    }

    /** {@code depth} blocks over T rows, the last one as {@link #lastBlock}. */
    static double blocks(int depth, double T, double D, double mlp) {
        return depth == 0 ? 0 : (depth - 1) * block(T, D, mlp) + lastBlock(T, D, mlp);
    }

    /** Vision forward of one image keeping {@code kept} patch tokens (plus CLS). */
    public static double visionForward(VisionConfig v, int kept) {
        double D = v.width(), T = kept + 1;
        double patchEmbed = 2.0 * kept * 3 * v.patch() * v.patch() * D;
        return patchEmbed + blocks(v.depth(), T, D, v.mlpRatio()) + 2 * D * v.embed();
    }

    /** Text forward of one caption at the full context. */
    public static double textForward(TextConfig t) {
        return textForward(t, t.context());
    }

    /**
     * Text forward of one caption over its first {@code positions} positions: the batch's longest caption, up to its
     * end of text, is all the causal tower needs (and all the SIMD text tower runs).
     */
    public static double textForward(TextConfig t, int positions) {
        if (positions < 1 || positions > t.context()) {
            throw new IllegalArgumentException("text positions " + positions + " outside [1, " + t.context() + "]");
        }
        return blocks(t.depth(), positions, t.width(), 4) + 2.0 * t.width() * t.embed();
    }

    /**
     * One step of {@code cfg} ({@code kept} patch tokens per online view, EMA view side {@code emaSide} pixels), the
     * text tower over the full context.
     */
    public static double step(TrainConfig cfg, VisionConfig v, TextConfig t, HeadsConfig h, int kept, int emaSide) {
        return step(cfg, v, t, h, kept, emaSide, t.context());
    }

    /** As {@link #step(TrainConfig, VisionConfig, TextConfig, HeadsConfig, int, int)}, the text tower over
     * {@code textPositions} positions ({@link #textForward(TextConfig, int)}). */
    public static double step(TrainConfig cfg, VisionConfig v, TextConfig t, HeadsConfig h, int kept, int emaSide,
                              int textPositions) {
        double B = cfg.batch(), V = cfg.views(), D = v.width(), E = v.embed();
        double online = V * B * 3 * visionForward(v, kept) + B * 3 * textForward(t, textPositions);
        double logits = 3 * 2 * (V * B) * B * E;
        double ema = 0, heads = 0;
        if (cfg.variant().ema) {
            int Ge = emaSide / v.patch();
            ema = B * visionForward(new VisionConfig(emaSide, v.patch(), v.width(), v.depth(), v.heads(), v.embed(),
                    v.mlpRatio()), Ge * Ge);
        }
        if (cfg.sslOn()) {
            double mlp = 2 * (D * h.simclrHidden() + h.simclrHidden() * h.simclrHidden() + h.simclrHidden() * h.simclrOut());
            double pred = cfg.ssl() == Ssl.SIMSIAM ? 2 * (h.simclrOut() * h.byolHidden() + h.byolHidden() * h.simclrOut()) : 0;
            heads += V * B * 3 * (mlp + pred);
        }
        if (cfg.byolOn()) {
            double proj = 2 * (D * h.byolHidden() + h.byolHidden() * h.byolOut());
            double pred = 2 * (h.byolOut() * h.byolHidden() + h.byolHidden() * h.byolOut());
            heads += V * B * 3 * (proj + pred) + B * proj; // online projector + predictor; the EMA target forward
        }
        return online + logits + ema + heads;
    }
}
