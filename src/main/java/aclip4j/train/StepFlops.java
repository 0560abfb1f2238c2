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
 */
public final class StepFlops {
    private StepFlops() {}

    /** One block of width {@code D} over {@code T} tokens, MLP ratio {@code mlp}: forward FLOPs. */
    static double block(double T, double D, double mlp) {
        return 2 * T * D * 3 * D + 2 * 2 * T * T * D + 2 * T * D * D + 2 * 2 * T * D * mlp * D;
    }

    /** Vision forward of one image keeping {@code kept} patch tokens (plus CLS). */
    public static double visionForward(VisionConfig v, int kept) {
        double D = v.width(), T = kept + 1;
        double patchEmbed = 2.0 * kept * 3 * v.patch() * v.patch() * D;
        return patchEmbed + v.depth() * block(T, D, v.mlpRatio()) + 2 * D * v.embed();
    }

    /** Text forward of one caption at the full context. */
    public static double textForward(TextConfig t) {
        return t.depth() * block(t.context(), t.width(), 4) + 2.0 * t.width() * t.embed();
    }

    /**
     * One step of {@code cfg} ({@code kept} patch tokens per online view, EMA view side {@code emaSide} pixels).
     */
    public static double step(TrainConfig cfg, VisionConfig v, TextConfig t, HeadsConfig h, int kept, int emaSide) {
        double B = cfg.batch(), V = cfg.views(), D = v.width(), E = v.embed();
        double online = V * B * 3 * visionForward(v, kept) + B * 3 * textForward(t);
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
