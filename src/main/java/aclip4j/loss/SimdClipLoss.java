package aclip4j.loss;

import aclip4j.kernel.Lanes;

/**
 * {@link ClipLoss} in plain Java with the Vector API, forward and hand-written backward (SPEC §6).
 *
 * <p>Backward, for one view with {@code s = exp(t)}, {@code P = softmax_rows(logits)},
 * {@code Q = softmax_rows(logits^T)} and the 1/V of the view mean folded into {@code c = dLoss / (2 B V)}:
 * <pre>
 *   G      = c * ((P − I) + (Q − I)^T)          dL/dlogits            [B,B]
 *   dI_v   = s * G T                            (normalised image rows)
 *   dT    += s * G^T I_v                        (normalised text rows)
 *   dt    += sum_ij G_ij * logits_ij            since d logits / dt = logits
 * </pre>
 * then each row goes back through the normalisation.
 *
 * <p><b>Operation order</b> (docs/SPEC.md §13; the same bits at every lane width, {@code lanes.scalar()} being
 * the specification). Forward: every row normalised ({@link LossKernels#l2NormalizeForward});
 * {@code s = (float) StrictMath.exp(t)}; {@code logits[v][i][j] = s * dot(Î_vi, T̂_j)} (the dot in the canonical
 * 16-partial order over E, then one rounded product); for each row i, {@code lseRow = logSumExp(logits[v][i][:])}
 * and {@code lseCol = logSumExp(logits[v][:][i])}; the cross-entropies sum the float differences
 * {@code lse − logits[v][i][i]} in double in row order, {@code lossPerView[v] = (float) ((ceRow + ceCol) / 2B)},
 * and {@code loss = (float) (sum_v lossPerView[v] / V)}, views in order, in double. Backward:
 * {@code c = dLoss / ((2f * B) * V)}; {@code P}, {@code Q} from {@link LossKernels#expShifted} with the saved
 * log-sum-exps; {@code G_ij = c * ((P_ij + Q_ji) − 2δ_ij)}; {@code dt} adds, in double and view order, the float
 * {@code dot(G, logits[v])} over the B·B elements in row-major order; then for i, and within it j, in increasing
 * order, {@code g = s * G_ij} and the element-wise {@code dÎ_vi = fma(g, T̂_j, dÎ_vi)},
 * {@code dT̂_j = fma(g, Î_vi, dT̂_j)} (each output accumulating its terms in k order, as a matrix product of
 * §13.3); finally the normalisation backward.
 */
public final class SimdClipLoss implements ClipLoss {
    private final Lanes lanes;

    public SimdClipLoss() {
        this(Lanes.preferred());
    }

    public SimdClipLoss(Lanes lanes) {
        this.lanes = lanes;
    }

    @Override
    public Pass forward(float[] imageEmbed, float[] textEmbed, float logitScale, int V, int B, int E) {
        ClipLoss.validate(imageEmbed, textEmbed, logitScale, V, B, E);
        float s = (float) StrictMath.exp(logitScale); // fdlibm: the same bits on every JVM
        return new SimdPass(imageEmbed, textEmbed, s, V, B, E);
    }

    private final class SimdPass implements Pass {
        private final int V, B, E;
        private final float s;
        private final float[] img, imgNorms;  // (V*B,E) normalised image rows, (V*B) their norms
        private final float[] txt, txtNorms;  // (B,E), (B)
        private final float[] logits;         // (V,B,B)  logits[v][i][j] = s * I_vi . T_j
        private final float[] logitsT;        // (V,B,B)  its per-view transpose
        private final float[] lseRow;         // (V,B)    log-sum-exp of logits rows
        private final float[] lseCol;         // (V,B)    log-sum-exp of logits columns
        private final float[] lossPerView;    // (V)
        private final float loss;

        SimdPass(float[] imageEmbed, float[] textEmbed, float s, int V, int B, int E) {
            this.V = V;
            this.B = B;
            this.E = E;
            this.s = s;
            img = new float[V * B * E];
            imgNorms = new float[V * B];
            txt = new float[B * E];
            txtNorms = new float[B];
            LossKernels.l2NormalizeForward(lanes, img, imgNorms, imageEmbed, V * B, E);
            LossKernels.l2NormalizeForward(lanes, txt, txtNorms, textEmbed, B, E);
            logits = new float[V * B * B];
            logitsT = new float[V * B * B];
            lseRow = new float[V * B];
            lseCol = new float[V * B];
            lossPerView = new float[V];
            double total = 0;
            for (int v = 0; v < V; v++) {
                int lo = v * B * B;
                for (int i = 0; i < B; i++) {
                    for (int j = 0; j < B; j++) {
                        float l = s * LossKernels.dot(lanes, img, (v * B + i) * E, txt, j * E, E);
                        logits[lo + i * B + j] = l;
                        logitsT[lo + j * B + i] = l;
                    }
                }
                // CE(logits, diag) = mean_i (lse(row i) − logits_ii); CE(logits^T, diag) likewise over columns
                double ceRow = 0;
                double ceCol = 0;
                for (int i = 0; i < B; i++) {
                    lseRow[v * B + i] = LossKernels.logSumExp(lanes, logits, lo + i * B, B);
                    lseCol[v * B + i] = LossKernels.logSumExp(lanes, logitsT, lo + i * B, B);
                    float diag = logits[lo + i * B + i];
                    ceRow += lseRow[v * B + i] - diag;
                    ceCol += lseCol[v * B + i] - diag;
                }
                lossPerView[v] = (float) ((ceRow + ceCol) / (2.0 * B));
                total += lossPerView[v];
            }
            loss = (float) (total / V);
        }

        @Override
        public float loss() {
            return loss;
        }

        @Override
        public float[] lossPerView() {
            return lossPerView.clone();
        }

        @Override
        public Grads backward(float dLoss) {
            float[] dImgN = new float[V * B * E]; // gradients w.r.t. the normalised rows
            float[] dTxtN = new float[B * E];
            float[] g = new float[B * B];         // G for one view, (B,B)
            float[] q = new float[B * B];         // softmax rows of logits^T, (B,B)
            float c = dLoss / (2f * B * V);
            double dt = 0;
            for (int v = 0; v < V; v++) {
                int lo = v * B * B;
                for (int i = 0; i < B; i++) {
                    LossKernels.expShifted(lanes, logits, lo + i * B, g, i * B, B, lseRow[v * B + i]);
                    LossKernels.expShifted(lanes, logitsT, lo + i * B, q, i * B, B, lseCol[v * B + i]);
                }
                for (int i = 0; i < B; i++) {
                    for (int j = 0; j < B; j++) {
                        float delta = i == j ? 2f : 0f; // the target term of both cross-entropies
                        g[i * B + j] = c * (g[i * B + j] + q[j * B + i] - delta);
                    }
                }
                dt += LossKernels.dot(lanes, g, 0, logits, lo, B * B);
                for (int i = 0; i < B; i++) {
                    int row = (v * B + i) * E;
                    for (int j = 0; j < B; j++) {
                        float gij = s * g[i * B + j];
                        LossKernels.axpy(lanes, gij, txt, j * E, dImgN, row, E); // dI_vi += s G_ij T_j
                        LossKernels.axpy(lanes, gij, img, row, dTxtN, j * E, E); // dT_j  += s G_ij I_vi
                    }
                }
            }
            float[] dImage = new float[V * B * E];
            float[] dText = new float[B * E];
            LossKernels.l2NormalizeBackward(lanes, dImage, dImgN, img, imgNorms, V * B, E);
            LossKernels.l2NormalizeBackward(lanes, dText, dTxtN, txt, txtNorms, B, E);
            return new Grads(dImage, dText, (float) dt);
        }
    }
}
