package aclip4j.loss;

import aclip4j.kernel.Lanes;

/**
 * {@link SimClrLoss} in plain Java with the Vector API, forward and hand-written backward (SPEC §6).
 *
 * <p>Backward of {@code loss_a}, with {@code P} the row softmax of {@code [ab | aa]} (B,2B) and
 * {@code c = dLoss / (2B)} (the 1/2 of the symmetric mean times the 1/B of the row mean):
 * <pre>
 *   G = c * (P[:, :B] − I)      dL/d ab                  H = c * P[:, B:]      dL/d aa (the mask is constant)
 *   da += (G b + (H + H^T) a) / τ                         db += G^T a / τ
 * </pre>
 * and {@code loss_b} is the same with a and b swapped. Each row then goes back through the normalisation.
 *
 * <p><b>Operation order</b> (docs/SPEC.md §13; the same bits at every lane width, {@code lanes.scalar()} being
 * the specification). Forward, per side (x, y) = (â, b̂) then (b̂, â): {@code logits[i][j] = dot(x_i, y_j) / τ}
 * and {@code logits[i][B+j] = dot(x_i, x_j) / τ} (canonical 16-partial dots over D, then a true division), minus
 * {@code 1e9f} where {@code i = j} (one float subtraction); {@code lse_i = logSumExp(logits[i][0..2B))}; the side's
 * loss is the double sum, in row order, of the float differences {@code lse_i − logits[i][i]}, divided by B;
 * {@code loss = (float) ((loss_a + loss_b) / 2)}. Backward: {@code c = dLoss / (2f * B)}, {@code k = c / τ}
 * (rounded once); per side, for each row i in order: {@code p = expShifted(logits[i], lse_i)},
 * {@code g = k * p} element-wise, {@code g[i] −= k}; then for j in order {@code dx_i = fma(g_j, y_j, dx_i)} and
 * {@code dy_j = fma(g_j, x_i, dy_j)} element-wise; after all rows, for i then j in order,
 * {@code dx_i = fma(h_ij + h_ji, x_j, dx_i)} with {@code h_ij = g_{B+j}} of row i. Side a runs before side b. With
 * {@code sameView} the two gradients are added ({@code dâ = fma(1, db̂, dâ)}) before one normalisation backward.
 */
public final class SimdSimClrLoss implements SimClrLoss {

    private final Lanes lanes;

    public SimdSimClrLoss() {
        this(Lanes.preferred());
    }

    public SimdSimClrLoss(Lanes lanes) {
        this.lanes = lanes;
    }

    @Override
    public LossPass<ViewPairGrads> forward(float[] a, float[] b, int B, int D, double temperature, boolean sameView) {
        SimClrLoss.validate(a, b, B, D, temperature);
        float tau = (float) temperature;
        float[] an = new float[B * D];
        float[] aNorms = new float[B];
        LossKernels.l2NormalizeForward(lanes, an, aNorms, a, B, D);
        float[] bn;
        float[] bNorms;
        if (sameView) {
            bn = an;
            bNorms = aNorms;
        } else {
            bn = new float[B * D];
            bNorms = new float[B];
            LossKernels.l2NormalizeForward(lanes, bn, bNorms, b, B, D);
        }
        Side sideA = new Side(an, bn, B, D, tau);
        Side sideB = new Side(bn, an, B, D, tau);
        float loss = (float) ((sideA.loss + sideB.loss) / 2.0);
        return new LossPass<>() {
            @Override
            public float loss() {
                return loss;
            }

            @Override
            public ViewPairGrads backward(float dLoss) {
                float[] dan = new float[B * D]; // gradients w.r.t. the normalised rows
                float[] dbn = new float[B * D];
                float c = dLoss / (2f * B);
                sideA.backward(c, dan, dbn);
                sideB.backward(c, dbn, dan);
                float[] da = new float[B * D];
                float[] db = new float[B * D];
                if (sameView) {
                    // b was a: both slots are the same tensor, so its gradient is their sum; b itself was unused
                    LossKernels.axpy(lanes, 1f, dbn, 0, dan, 0, B * D);
                    LossKernels.l2NormalizeBackward(lanes, da, dan, an, aNorms, B, D);
                } else {
                    LossKernels.l2NormalizeBackward(lanes, da, dan, an, aNorms, B, D);
                    LossKernels.l2NormalizeBackward(lanes, db, dbn, bn, bNorms, B, D);
                }
                return new ViewPairGrads(da, db);
            }
        };
    }

    /** One half of NT-Xent: {@code CE([x y^T / τ | x x^T / τ − 1e9 I], diag)} for normalised x, y (B,D). */
    private final class Side {
        final float[] x, y;
        final int B, D;
        final float tau;
        final float[] logits; // (B,2B) [x y^T | x x^T − 1e9 I] / τ
        final float[] lse;    // (B)
        final double loss;

        Side(float[] x, float[] y, int B, int D, float tau) {
            this.x = x;
            this.y = y;
            this.B = B;
            this.D = D;
            this.tau = tau;
            int W = 2 * B;
            logits = new float[B * W];
            lse = new float[B];
            double sum = 0;
            for (int i = 0; i < B; i++) {
                for (int j = 0; j < B; j++) {
                    logits[i * W + j] = LossKernels.dot(lanes, x, i * D, y, j * D, D) / tau;
                    float self = LossKernels.dot(lanes, x, i * D, x, j * D, D) / tau;
                    logits[i * W + B + j] = i == j ? self - LARGE_NUM : self;
                }
                lse[i] = LossKernels.logSumExp(lanes, logits, i * W, W);
                sum += lse[i] - logits[i * W + i];
            }
            loss = sum / B;
        }

        /** Adds {@code c}-scaled gradients into dx, dy (B,D), both w.r.t. the normalised rows. */
        void backward(float c, float[] dx, float[] dy) {
            int W = 2 * B;
            float[] p = new float[W];
            float[] h = new float[B * B]; // H, kept whole because H^T is needed too
            float[] g = new float[W];
            float k = c / tau;
            for (int i = 0; i < B; i++) {
                LossKernels.expShifted(lanes, logits, i * W, p, 0, W, lse[i]); // p = softmax of row i
                LossKernels.scale(lanes, k, p, 0, g, 0, W);                  // g = k * p
                g[i] -= k;                                                     // the target column of row i
                for (int j = 0; j < B; j++) {
                    LossKernels.axpy(lanes, g[j], y, j * D, dx, i * D, D);  // dx_i += G_ij y_j / τ
                    LossKernels.axpy(lanes, g[j], x, i * D, dy, j * D, D);  // dy_j += G_ij x_i / τ
                }
                System.arraycopy(g, B, h, i * B, B);
            }
            for (int i = 0; i < B; i++) {
                for (int j = 0; j < B; j++) {
                    // dx_i += (H_ij + H_ji) x_j / τ, H already carries 1/τ
                    LossKernels.axpy(lanes, h[i * B + j] + h[j * B + i], x, j * D, dx, i * D, D);
                }
            }
        }
    }
}
