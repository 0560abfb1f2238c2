package aclip4j.loss;

/**
 * The image-text contrastive loss of SPEC §6 (paper §3.4), over {@code V} masked views sharing one caption batch.
 *
 * <p>Every embedding row is L2-normalised first ({@code x / max(||x||, 1e-12)}). For view {@code v} with normalised
 * image rows {@code I_v} [B,E] and text rows {@code T} [B,E], {@code logits = exp(t) * I_v T^T} [B,B] and
 * {@code L_v = (CE(logits, diag) + CE(logits^T, diag)) / 2}, cross-entropy being the mean over rows;
 * {@code L_clip = mean_v L_v}. {@code t} is the logit-scale parameter (the multiplier is {@code exp(t)}), and the
 * loss is differentiated with respect to it as well as to both embeddings.
 */
public interface ClipLoss {
    /**
     * @param imageEmbed [V*B,E] view-major: row {@code v*B + b} is view v of image b
     * @param textEmbed  [B,E]
     * @param logitScale t, a scalar; the logits are multiplied by {@code exp(t)}
     * @throws IllegalArgumentException on a shape that does not match V, B, E, a dimension below 1, or a NaN/Inf
     */
    Pass forward(float[] imageEmbed, float[] textEmbed, float logitScale, int V, int B, int E);

    /** One CLIP forward pass. */
    interface Pass extends LossPass<Grads> {
        /** L_v for each view, [V]; {@link #loss()} is their mean. */
        float[] lossPerView();
    }

    /** Gradients: imageEmbed [V*B,E], textEmbed [B,E], logitScale (of t itself, not of exp(t)). */
    record Grads(float[] imageEmbed, float[] textEmbed, float logitScale) {}

    /** The input checks both twins make before computing (SPEC §6): shapes, finiteness, ranges. */
    static void validate(float[] imageEmbed, float[] textEmbed, float logitScale, int V, int B, int E) {
        LossChecks.requirePositiveDim("V", V);
        LossChecks.requirePositiveDim("B", B);
        LossChecks.requirePositiveDim("E", E);
        LossChecks.requireMatrix("image_embed", imageEmbed, V * B, E);
        LossChecks.requireMatrix("text_embed", textEmbed, B, E);
        LossChecks.requireFinite("image_embed", imageEmbed, E);
        LossChecks.requireFinite("text_embed", textEmbed, E);
        LossChecks.requireFinite("logit_scale", logitScale);
        if (!Float.isFinite((float) StrictMath.exp(logitScale))) {
            throw new IllegalArgumentException(
                    "logit_scale = " + logitScale + " overflows exp(t) in float, expected t < 88");
        }
    }
}
