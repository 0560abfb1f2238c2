package aclip4j.loss;

/**
 * The NT-Xent loss of SimCLR between two views of the SSL head, SPEC §6.
 *
 * <p>{@code a} and {@code b} [B,D] are L2-normalised first. With temperature τ: {@code ab = a b^T / τ},
 * {@code aa = a a^T / τ − 1e9 I}, {@code loss_a = CE([ab | aa], diag)} over rows of width 2B;
 * {@code ba = b a^T / τ}, {@code bb = b b^T / τ − 1e9 I}, {@code loss_b = CE([ba | bb], diag)};
 * {@code L = (loss_a + loss_b) / 2}. The {@code 1e9} mask is a constant: it removes self-similarity without a
 * gradient.
 *
 * <p>{@code sameView} reproduces the official code's bug of feeding view 1 twice (option {@code simclrSameView}):
 * the loss is computed with {@code a} in place of {@code b}, so {@code a} collects both gradients and {@code b}
 * gets zeros.
 */
public interface SimClrLoss {
    /** The self-similarity mask of SPEC §6 (the official code's LARGE_NUM), the same in both twins. */
    float LARGE_NUM = 1e9f;

    /** The paper's temperature (SPEC §6). */
    double DEFAULT_TEMPERATURE = 0.1;

    /**
     * @param a [B,D] view 1
     * @param b [B,D] view 2 (still shape-checked when {@code sameView})
     * @throws IllegalArgumentException on a shape mismatch, a NaN/Inf, or τ ≤ 0
     */
    LossPass<ViewPairGrads> forward(float[] a, float[] b, int B, int D, double temperature, boolean sameView);

    /** The correct loss between two different views. */
    default LossPass<ViewPairGrads> forward(float[] a, float[] b, int B, int D, double temperature) {
        return forward(a, b, B, D, temperature, false);
    }

    /** The input checks both twins make before computing (SPEC §6): shapes, finiteness, ranges. */
    static void validate(float[] a, float[] b, int B, int D, double temperature) {
        LossChecks.requirePositiveDim("B", B);
        LossChecks.requirePositiveDim("D", D);
        LossChecks.requireMatrix("a", a, B, D);
        LossChecks.requireMatrix("b", b, B, D);
        LossChecks.requireFinite("a", a, D);
        LossChecks.requireFinite("b", b, D);
        LossChecks.requireTemperature(temperature);
        if (!((float) temperature > 0)) {
            throw new IllegalArgumentException("temperature = " + temperature + " underflows to 0 in float");
        }
    }
}
