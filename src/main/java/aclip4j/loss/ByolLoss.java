package aclip4j.loss;

/**
 * The online-to-EMA BYOL loss, SPEC §6: {@code mean over views v and batch b of 2 − 2 cos(pred_{v,b}, target_b)},
 * rows L2-normalised first ({@code x / max(||x||, 1e-12)}). The target comes from the EMA branch and is
 * stop-gradient; the same target row serves every view.
 */
public interface ByolLoss {
    /**
     * @param pred   [V*B,D] view-major: row {@code v*B + b} is the online prediction for view v of image b
     * @param target [B,D] the EMA projection (stop-gradient)
     * @return a pass whose gradient is d/dpred [V*B,D]
     * @throws IllegalArgumentException on a shape mismatch, a dimension below 1 or a NaN/Inf
     */
    LossPass<float[]> forward(float[] pred, float[] target, int V, int B, int D);

    /** The input checks both twins make before computing (SPEC §6): shapes, finiteness, ranges. */
    static void validate(float[] pred, float[] target, int V, int B, int D) {
        LossChecks.requirePositiveDim("V", V);
        LossChecks.requirePositiveDim("B", B);
        LossChecks.requirePositiveDim("D", D);
        LossChecks.requireMatrix("pred", pred, V * B, D);
        LossChecks.requireMatrix("target", target, B, D);
        LossChecks.requireFinite("pred", pred, D);
        LossChecks.requireFinite("target", target, D);
    }
}
