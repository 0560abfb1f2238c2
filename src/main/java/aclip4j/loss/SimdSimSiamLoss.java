package aclip4j.loss;

import aclip4j.kernel.Lanes;

/**
 * {@link SimSiamLoss} in plain Java with the Vector API, forward and hand-written backward (SPEC §6).
 *
 * <p>With normalised rows, {@code L = −(1/2B) sum_b (p̂1_b . ẑ2_b + p̂2_b . ẑ1_b)}, so
 * {@code dL/dp̂1_b = −dLoss/(2B) ẑ2_b} and {@code dL/dp̂2_b = −dLoss/(2B) ẑ1_b}, then back through the
 * normalisation.
 *
 * <p><b>Operation order</b> (docs/SPEC.md §13; the same bits at every lane width, {@code lanes.scalar()} being
 * the specification). Forward: the four inputs normalised row by row; {@code cos12 = sum_b dot(p̂1_b, ẑ2_b)} and
 * {@code cos21 = sum_b dot(p̂2_b, ẑ1_b)}, each dot in the canonical 16-partial order over D, the sums over b in
 * double in row order; {@code loss = (float) (−(cos12 / B + cos21 / B) / 2)}. Backward:
 * {@code c = −dLoss / (2f * B)}; {@code dp̂1 = c * ẑ2}, {@code dp̂2 = c * ẑ1} element-wise (one rounded product
 * each); the normalisation backward.
 */
public final class SimdSimSiamLoss implements SimSiamLoss {
    private final Lanes lanes;

    public SimdSimSiamLoss() {
        this(Lanes.preferred());
    }

    public SimdSimSiamLoss(Lanes lanes) {
        this.lanes = lanes;
    }

    @Override
    public LossPass<ViewPairGrads> forward(float[] p1, float[] p2, float[] z1, float[] z2, int B, int D) {
        SimSiamLoss.validate(p1, p2, z1, z2, B, D);
        float[] p1n = new float[B * D], p1Norms = new float[B];
        float[] p2n = new float[B * D], p2Norms = new float[B];
        float[] z1n = new float[B * D], z1Norms = new float[B];
        float[] z2n = new float[B * D], z2Norms = new float[B];
        LossKernels.l2NormalizeForward(lanes, p1n, p1Norms, p1, B, D);
        LossKernels.l2NormalizeForward(lanes, p2n, p2Norms, p2, B, D);
        LossKernels.l2NormalizeForward(lanes, z1n, z1Norms, z1, B, D);
        LossKernels.l2NormalizeForward(lanes, z2n, z2Norms, z2, B, D);
        double cos12 = 0; // sum_b cos(p1_b, z2_b)
        double cos21 = 0; // sum_b cos(p2_b, z1_b)
        for (int r = 0; r < B; r++) {
            cos12 += LossKernels.dot(lanes, p1n, r * D, z2n, r * D, D);
            cos21 += LossKernels.dot(lanes, p2n, r * D, z1n, r * D, D);
        }
        float loss = (float) (-(cos12 / B + cos21 / B) / 2.0);
        return new LossPass<>() {
            @Override
            public float loss() {
                return loss;
            }

            @Override
            public ViewPairGrads backward(float dLoss) {
                float c = -dLoss / (2f * B);
                float[] dp1n = new float[B * D];
                float[] dp2n = new float[B * D];
                LossKernels.scale(lanes, c, z2n, 0, dp1n, 0, B * D);
                LossKernels.scale(lanes, c, z1n, 0, dp2n, 0, B * D);
                float[] dp1 = new float[B * D];
                float[] dp2 = new float[B * D];
                LossKernels.l2NormalizeBackward(lanes, dp1, dp1n, p1n, p1Norms, B, D);
                LossKernels.l2NormalizeBackward(lanes, dp2, dp2n, p2n, p2Norms, B, D);
                return new ViewPairGrads(dp1, dp2);
            }
        };
    }
}
