package aclip4j.kernel;

import static aclip4j.kernel.Lanes.LENGTH;
import static aclip4j.kernel.Lanes.SPECIES;

import jdk.incubator.vector.FloatVector;

/**
 * BatchNorm1d of the SSL heads (SPEC §6), PyTorch semantics. Shapes: inp, out (B,C); weight, bias (C);
 * saved mean, rstd (C); runningMean, runningVar (C).
 * Training: per-channel batch mean and biased variance normalise; the running statistics become
 * {@code (1 - momentum) * running + momentum * batch}, with the unbiased variance {@code var * B / (B - 1)}.
 * Evaluation: the running statistics normalise and are left alone.
 *
 * <p>Follows docs/SPEC.md §13 so that the scalar specification and every lane width give the same bits: every sum
 * here runs over the batch (the statistics, {@code dweight}, {@code dbias}, {@code sum_b g}, {@code sum_b g xhat}),
 * so it adds the rows in order b = 0..B-1 with one channel per lane; each row loop applies the same operations in
 * its vector loop (written once, over {@link Lanes#SPECIES}) and in its scalar tail ({@code Math.fma} where the
 * vector fuses). The scalar specification is the same code with every element in the tail.
 */
public final class BatchNorm {
    private BatchNorm() {}

    /**
     * out (B,C) = fma((inp - mean) * rstd, weight, bias). Saves mean and rstd (C). In training also updates
     * runningMean and runningVar in place; needs B >= 2 there (a one-row batch has no variance).
     */
    public static void batchnormForward(Lanes lanes, float[] out, float[] mean, float[] rstd, float[] runningMean,
                                        float[] runningVar, float[] inp, float[] weight, float[] bias,
                                        int B, int C, float eps, float momentum, boolean training) {
        statistics(lanes, mean, rstd, runningMean, runningVar, inp, B, C, eps, momentum, training);
        for (int b = 0; b < B; b++) {
            normalize(lanes, out, inp, b * C, mean, rstd, weight, bias, C);
        }
    }

    /** The specification of {@link #batchnormForward}. */
    public static void batchnormForwardScalar(float[] out, float[] mean, float[] rstd, float[] runningMean,
                                              float[] runningVar, float[] inp, float[] weight, float[] bias,
                                              int B, int C, float eps, float momentum, boolean training) {
        batchnormForward(Lanes.SCALAR, out, mean, rstd, runningMean, runningVar, inp, weight, bias, B, C, eps,
                momentum, training);
    }

    private static void statistics(Lanes lanes, float[] mean, float[] rstd, float[] runningMean, float[] runningVar,
                                   float[] inp, int B, int C, float eps, float momentum, boolean training) {
        if (!training) {
            for (int i = 0; i < C; i++) {
                mean[i] = runningMean[i];
                rstd[i] = (float) (1.0 / Math.sqrt(runningVar[i] + eps));
            }
            return;
        }
        if (B < 2) {
            throw new IllegalArgumentException("BatchNorm in training needs at least 2 rows, got B = " + B);
        }
        java.util.Arrays.fill(mean, 0, C, 0f);
        for (int b = 0; b < B; b++) {
            Vec.accumulate(lanes, mean, 0, inp, b * C, C);                       // mean += row b
        }
        Vec.divide(lanes, mean, 0, C, B);                                        // mean /= B
        float[] var = new float[C];
        for (int b = 0; b < B; b++) {
            squaredDeviations(lanes, var, inp, b * C, mean, C);
        }
        for (int i = 0; i < C; i++) {
            float biased = var[i] / B;
            rstd[i] = (float) (1.0 / Math.sqrt(biased + eps));
            float unbiased = var[i] / (B - 1);
            runningMean[i] = (1f - momentum) * runningMean[i] + momentum * mean[i];
            runningVar[i] = (1f - momentum) * runningVar[i] + momentum * unbiased;
        }
    }

    /**
     * dinp (B,C) += input gradient; dweight (C) += sum_b dout * xhat; dbias (C) += sum_b dout.
     * Training (batch statistics depend on inp), with g = dout * weight:
     * dinp = rstd * (g - mean_b(g) - xhat * mean_b(g * xhat)). Evaluation: dinp = g * rstd.
     */
    public static void batchnormBackward(Lanes lanes, float[] dinp, float[] dweight, float[] dbias, float[] dout,
                                         float[] inp, float[] weight, float[] mean, float[] rstd,
                                         int B, int C, boolean training) {
        float[] meanG = new float[C], meanGx = new float[C];
        for (int b = 0; b < B; b++) {
            parameterGrads(lanes, dweight, dbias, meanG, meanGx, dout, inp, weight, mean, rstd, b * C, C);
        }
        for (int i = 0; i < C; i++) {
            meanG[i] = training ? meanG[i] / B : 0f;
            meanGx[i] = training ? meanGx[i] / B : 0f;
        }
        for (int b = 0; b < B; b++) {
            inputGrad(lanes, dinp, dout, inp, weight, mean, rstd, meanG, meanGx, b * C, C);
        }
    }

    /** The specification of {@link #batchnormBackward}. */
    public static void batchnormBackwardScalar(float[] dinp, float[] dweight, float[] dbias, float[] dout,
                                               float[] inp, float[] weight, float[] mean, float[] rstd,
                                               int B, int C, boolean training) {
        batchnormBackward(Lanes.SCALAR, dinp, dweight, dbias, dout, inp, weight, mean, rstd, B, C, training);
    }

    // ---------------------------------------------------------------------------------------------------------
    // The row loops, off = b * C: the vector loop, then the scalar tail (the specification) from where it ended.

    /** out[off+i] = fma((inp[off+i] - mean[i]) * rstd[i], w[i], b[i]). */
    private static void normalize(Lanes lanes, float[] out, float[] inp, int off, float[] mean, float[] rstd,
                                  float[] w, float[] b, int C) {
        int i = 0;
        if (!lanes.scalar()) {
            for (int bound = SPECIES.loopBound(C); i < bound; i += LENGTH) {
                // xhat = (x - mean) * rstd; out = fma(xhat, w, b)
                FloatVector xhat = FloatVector.fromArray(SPECIES, inp, off + i)
                        .sub(FloatVector.fromArray(SPECIES, mean, i)).mul(FloatVector.fromArray(SPECIES, rstd, i));
                xhat.fma(FloatVector.fromArray(SPECIES, w, i), FloatVector.fromArray(SPECIES, b, i))
                        .intoArray(out, off + i);
            }
        }
        for (; i < C; i++) {
            out[off + i] = Math.fma((inp[off + i] - mean[i]) * rstd[i], w[i], b[i]);
        }
    }

    /** var[i] = fma(d, d, var[i]), d = inp[off+i] - mean[i]. */
    private static void squaredDeviations(Lanes lanes, float[] var, float[] inp, int off, float[] mean, int C) {
        int i = 0;
        if (!lanes.scalar()) {
            for (int bound = SPECIES.loopBound(C); i < bound; i += LENGTH) {
                // d = x - mean; var = fma(d, d, var)
                FloatVector d = FloatVector.fromArray(SPECIES, inp, off + i).sub(FloatVector.fromArray(SPECIES, mean, i));
                d.fma(d, FloatVector.fromArray(SPECIES, var, i)).intoArray(var, i);
            }
        }
        for (; i < C; i++) {
            float d = inp[off + i] - mean[i];
            var[i] = Math.fma(d, d, var[i]);
        }
    }

    /**
     * With xhat = (inp - mean) * rstd, d = dout, g = d * w: dbias += d; dweight = fma(d, xhat, dweight);
     * sumG += g; sumGx = fma(g, xhat, sumGx).
     */
    private static void parameterGrads(Lanes lanes, float[] dweight, float[] dbias, float[] sumG, float[] sumGx,
                                       float[] dout, float[] inp, float[] weight, float[] mean, float[] rstd,
                                       int off, int C) {
        int i = 0;
        if (!lanes.scalar()) {
            for (int bound = SPECIES.loopBound(C); i < bound; i += LENGTH) {
                FloatVector xhat = FloatVector.fromArray(SPECIES, inp, off + i)
                        .sub(FloatVector.fromArray(SPECIES, mean, i)).mul(FloatVector.fromArray(SPECIES, rstd, i));
                FloatVector d = FloatVector.fromArray(SPECIES, dout, off + i);
                FloatVector g = d.mul(FloatVector.fromArray(SPECIES, weight, i));
                FloatVector.fromArray(SPECIES, dbias, i).add(d).intoArray(dbias, i);             // dbias += d
                d.fma(xhat, FloatVector.fromArray(SPECIES, dweight, i)).intoArray(dweight, i);   // fma(d, xhat, dw)
                FloatVector.fromArray(SPECIES, sumG, i).add(g).intoArray(sumG, i);               // sumG += g
                g.fma(xhat, FloatVector.fromArray(SPECIES, sumGx, i)).intoArray(sumGx, i);       // fma(g, xhat, sGx)
            }
        }
        for (; i < C; i++) {
            float xhat = (inp[off + i] - mean[i]) * rstd[i];
            float d = dout[off + i], g = d * weight[i];
            dbias[i] += d;
            dweight[i] = Math.fma(d, xhat, dweight[i]);
            sumG[i] += g;
            sumGx[i] = Math.fma(g, xhat, sumGx[i]);
        }
    }

    /** dinp += (g - meanG - xhat * meanGx) * rstd, g = dout * w, xhat = (inp - mean) * rstd. */
    private static void inputGrad(Lanes lanes, float[] dinp, float[] dout, float[] inp, float[] weight, float[] mean,
                                  float[] rstd, float[] meanG, float[] meanGx, int off, int C) {
        int i = 0;
        if (!lanes.scalar()) {
            for (int bound = SPECIES.loopBound(C); i < bound; i += LENGTH) {
                FloatVector r = FloatVector.fromArray(SPECIES, rstd, i);
                FloatVector xhat = FloatVector.fromArray(SPECIES, inp, off + i)
                        .sub(FloatVector.fromArray(SPECIES, mean, i)).mul(r);
                FloatVector g = FloatVector.fromArray(SPECIES, dout, off + i)
                        .mul(FloatVector.fromArray(SPECIES, weight, i));
                // v = (g - meanG - xhat * meanGx) * rstd; dinp += v
                FloatVector v = g.sub(FloatVector.fromArray(SPECIES, meanG, i))
                        .sub(xhat.mul(FloatVector.fromArray(SPECIES, meanGx, i))).mul(r);
                FloatVector.fromArray(SPECIES, dinp, off + i).add(v).intoArray(dinp, off + i);
            }
        }
        for (; i < C; i++) {
            float xhat = (inp[off + i] - mean[i]) * rstd[i];
            float g = dout[off + i] * weight[i];
            dinp[off + i] += (g - meanG[i] - xhat * meanGx[i]) * rstd[i];
        }
    }
}
