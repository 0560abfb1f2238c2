package aclip4j.loss;

import aclip4j.kernel.Lanes;

/**
 * {@link ByolLoss} in plain Java with the Vector API, forward and hand-written backward (SPEC §6).
 *
 * <p>With normalised rows, {@code L = (1/VB) sum_{v,b} (2 − 2 p̂_{v,b} . t̂_b)}, so
 * {@code dL/dp̂_{v,b} = −2 dLoss/(VB) t̂_b}, then back through the normalisation.
 *
 * <p><b>Operation order</b> (docs/SPEC.md §13; the same bits at every lane width, {@code lanes.scalar()} being
 * the specification). Forward: rows normalised; for v, then b, in order, the double sum of
 * {@code 2 − 2 dot(p̂_vb, t̂_b)} (the dot in the canonical 16-partial order over D, in float, widened);
 * {@code loss = (float) (sum / (V B))}. Backward: {@code c = (−2f * dLoss) / ((float) V * B)};
 * {@code dp̂_vb = c * t̂_b} element-wise; the normalisation backward.
 */
public final class SimdByolLoss implements ByolLoss {
    private final Lanes lanes;

    public SimdByolLoss() {
        this(Lanes.preferred());
    }

    public SimdByolLoss(Lanes lanes) {
        this.lanes = lanes;
    }

    @Override
    public LossPass<float[]> forward(float[] pred, float[] target, int V, int B, int D) {
        ByolLoss.validate(pred, target, V, B, D);
        float[] pn = new float[V * B * D], pNorms = new float[V * B];
        float[] tn = new float[B * D], tNorms = new float[B];
        LossKernels.l2NormalizeForward(lanes, pn, pNorms, pred, V * B, D);
        LossKernels.l2NormalizeForward(lanes, tn, tNorms, target, B, D);
        double sum = 0;
        for (int v = 0; v < V; v++) {
            for (int b = 0; b < B; b++) {
                sum += 2.0 - 2.0 * LossKernels.dot(lanes, pn, (v * B + b) * D, tn, b * D, D);
            }
        }
        float loss = (float) (sum / ((double) V * B));
        return new LossPass<>() {
            @Override
            public float loss() {
                return loss;
            }

            @Override
            public float[] backward(float dLoss) {
                float c = -2f * dLoss / ((float) V * B);
                float[] dpn = new float[V * B * D];
                for (int v = 0; v < V; v++) {
                    LossKernels.scale(lanes, c, tn, 0, dpn, v * B * D, B * D);
                }
                float[] dpred = new float[V * B * D];
                LossKernels.l2NormalizeBackward(lanes, dpred, dpn, pn, pNorms, V * B, D);
                return dpred;
            }
        };
    }
}
