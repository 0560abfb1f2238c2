package aclip4j.optim;

/**
 * One AdamW update of one parameter tensor, in place (SPEC §8), with the arithmetic of PyTorch 1.13's
 * single-tensor, non-amsgrad {@code torch.optim.AdamW}, operation by operation in float32:
 * <pre>
 *   param    = param · decay                                  decay = 1 − lr·wd
 *   expAvg   = expAvg · β1 + grad · (1 − β1)
 *   expAvgSq = expAvgSq · β2 + ((1 − β2) · grad) · grad
 *   denom    = sqrt(expAvgSq) / sqrt(1 − β2^step) + ε
 *   param    = param + (−lr/(1 − β1^step) · expAvg) / denom
 * </pre>
 * with the scalars of {@link AdamWScalars}. Every product and sum is rounded to float32 on its own (no fused
 * multiply-add), so the implementations agree bit for bit at every lane width.
 *
 * <p>Shapes: {@code param}, {@code grad}, {@code expAvg}, {@code expAvgSq} are flat {@code [P]} arrays of equal
 * length; {@code grad} is only read. Golden component {@code adamw_step} (goldens/README.md).
 */
public interface AdamW {

    /** One step in place on {@code param}, {@code expAvg} and {@code expAvgSq}, all {@code [P]}. */
    void step(float[] param, float[] grad, float[] expAvg, float[] expAvgSq, AdamWScalars scalars);

    /** One step with the hyper-parameters given; {@code step} is the 1-based count after this update. */
    default void step(float[] param, float[] grad, float[] expAvg, float[] expAvgSq,
                      double lr, double beta1, double beta2, double eps, double weightDecay, long step) {
        step(param, grad, expAvg, expAvgSq, AdamWScalars.of(lr, beta1, beta2, eps, weightDecay, step));
    }

    /** Refuses arrays of different lengths. */
    static void checkLengths(float[] param, float[] grad, float[] expAvg, float[] expAvgSq) {
        int p = param.length;
        if (grad.length != p || expAvg.length != p || expAvgSq.length != p) {
            throw new IllegalArgumentException("AdamW needs equal lengths [P]: param " + p + ", grad " + grad.length
                    + ", exp_avg " + expAvg.length + ", exp_avg_sq " + expAvgSq.length);
        }
    }
}
