package aclip4j.loss;

/**
 * The SimSiam loss, SPEC §6: {@code L = (D(p1, z2) + D(p2, z1)) / 2} with {@code D(p, z) = −mean_b cos(p_b, z_b)},
 * where {@code p} is a view's predictor output and {@code z} the other view's projector output. Rows are
 * L2-normalised first ({@code x / max(||x||, 1e-12)}), so {@code cos} is the dot product of the normalised rows.
 * The {@code z} are stop-gradient: only {@code p1} and {@code p2} get gradients.
 */
public interface SimSiamLoss {
    /**
     * @param p1 [B,D] predictor output of view 1
     * @param p2 [B,D] predictor output of view 2
     * @param z1 [B,D] projector output of view 1 (stop-gradient)
     * @param z2 [B,D] projector output of view 2 (stop-gradient)
     * @return a pass whose gradients are {@code first} = d/dp1, {@code second} = d/dp2
     * @throws IllegalArgumentException on a shape mismatch or a NaN/Inf
     */
    LossPass<ViewPairGrads> forward(float[] p1, float[] p2, float[] z1, float[] z2, int B, int D);

    /** The input checks both twins make before computing (SPEC §6): shapes, finiteness, ranges. */
    static void validate(float[] p1, float[] p2, float[] z1, float[] z2, int B, int D) {
        LossChecks.requirePositiveDim("B", B);
        LossChecks.requirePositiveDim("D", D);
        LossChecks.requireMatrix("p1", p1, B, D);
        LossChecks.requireMatrix("p2", p2, B, D);
        LossChecks.requireMatrix("z1", z1, B, D);
        LossChecks.requireMatrix("z2", z2, B, D);
        LossChecks.requireFinite("p1", p1, D);
        LossChecks.requireFinite("p2", p2, D);
        LossChecks.requireFinite("z1", z1, D);
        LossChecks.requireFinite("z2", z2, D);
    }
}
