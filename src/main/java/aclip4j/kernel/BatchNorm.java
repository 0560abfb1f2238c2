package aclip4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * BatchNorm1d of the SSL heads (SPEC §6), PyTorch semantics. Shapes: inp, out (B,C); weight, bias (C);
 * saved mean, rstd (C); runningMean, runningVar (C).
 * Training: per-channel batch mean and biased variance normalise; the running statistics become
 * {@code (1 - momentum) * running + momentum * batch}, with the unbiased variance {@code var * B / (B - 1)}.
 * Evaluation: the running statistics normalise and are left alone.
 * The vector kernels run across channels; both twins sum over the batch in the same order b = 0..B-1.
 */
public final class BatchNorm {
    private BatchNorm() {}

    /**
     * out (B,C) = (inp - mean) * rstd * weight + bias. Saves mean and rstd (C). In training also updates
     * runningMean and runningVar in place; needs B >= 2 there (a one-row batch has no variance).
     */
    public static void batchnormForward(Lanes lanes, float[] out, float[] mean, float[] rstd, float[] runningMean,
                                        float[] runningVar, float[] inp, float[] weight, float[] bias,
                                        int B, int C, float eps, float momentum, boolean training) {
        if (lanes.scalar()) {
            batchnormForwardScalar(out, mean, rstd, runningMean, runningVar, inp, weight, bias, B, C, eps, momentum, training);
            return;
        }
        statistics(mean, rstd, runningMean, runningVar, inp, B, C, eps, momentum, training, lanes);
        VectorSpecies<Float> sp = lanes.species();
        int bound = sp.loopBound(C);
        for (int b = 0; b < B; b++) {
            int off = b * C, i = 0;
            for (; i < bound; i += sp.length()) {
                // out = (x - mean) * rstd * w + bias
                FloatVector xhat = FloatVector.fromArray(sp, inp, off + i).sub(FloatVector.fromArray(sp, mean, i))
                        .mul(FloatVector.fromArray(sp, rstd, i));
                xhat.fma(FloatVector.fromArray(sp, weight, i), FloatVector.fromArray(sp, bias, i)).intoArray(out, off + i);
            }
            for (; i < C; i++) {
                out[off + i] = (inp[off + i] - mean[i]) * rstd[i] * weight[i] + bias[i];
            }
        }
    }

    /** The specification of {@link #batchnormForward}. */
    public static void batchnormForwardScalar(float[] out, float[] mean, float[] rstd, float[] runningMean,
                                              float[] runningVar, float[] inp, float[] weight, float[] bias,
                                              int B, int C, float eps, float momentum, boolean training) {
        statistics(mean, rstd, runningMean, runningVar, inp, B, C, eps, momentum, training, Lanes.of(0));
        for (int b = 0; b < B; b++) {
            int off = b * C;
            for (int i = 0; i < C; i++) {
                out[off + i] = (inp[off + i] - mean[i]) * rstd[i] * weight[i] + bias[i];
            }
        }
    }

    private static void statistics(float[] mean, float[] rstd, float[] runningMean, float[] runningVar, float[] inp,
                                   int B, int C, float eps, float momentum, boolean training, Lanes lanes) {
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
            Vec.accumulate(lanes, mean, 0, inp, b * C, C);
        }
        for (int i = 0; i < C; i++) {
            mean[i] /= B;
        }
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

    /** var[i] += (inp[off+i] - mean[i])^2. */
    private static void squaredDeviations(Lanes lanes, float[] var, float[] inp, int off, float[] mean, int C) {
        int i = 0;
        if (!lanes.scalar()) {
            VectorSpecies<Float> sp = lanes.species();
            int bound = sp.loopBound(C);
            for (; i < bound; i += sp.length()) {
                FloatVector d = FloatVector.fromArray(sp, inp, off + i).sub(FloatVector.fromArray(sp, mean, i));
                d.fma(d, FloatVector.fromArray(sp, var, i)).intoArray(var, i);
            }
        }
        for (; i < C; i++) {
            float d = inp[off + i] - mean[i];
            var[i] += d * d;
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
        if (lanes.scalar()) {
            batchnormBackwardScalar(dinp, dweight, dbias, dout, inp, weight, mean, rstd, B, C, training);
            return;
        }
        VectorSpecies<Float> sp = lanes.species();
        int bound = sp.loopBound(C);
        float[] sumG = new float[C], sumGx = new float[C];
        for (int b = 0; b < B; b++) {
            int off = b * C, i = 0;
            for (; i < bound; i += sp.length()) {
                FloatVector xhat = FloatVector.fromArray(sp, inp, off + i).sub(FloatVector.fromArray(sp, mean, i))
                        .mul(FloatVector.fromArray(sp, rstd, i));
                FloatVector d = FloatVector.fromArray(sp, dout, off + i);
                FloatVector g = d.mul(FloatVector.fromArray(sp, weight, i));
                FloatVector.fromArray(sp, dbias, i).add(d).intoArray(dbias, i);                 // dbias += d
                d.fma(xhat, FloatVector.fromArray(sp, dweight, i)).intoArray(dweight, i);       // dweight += d * xhat
                FloatVector.fromArray(sp, sumG, i).add(g).intoArray(sumG, i);                   // sumG += g
                g.fma(xhat, FloatVector.fromArray(sp, sumGx, i)).intoArray(sumGx, i);           // sumGx += g * xhat
            }
            for (; i < C; i++) {
                float xhat = (inp[off + i] - mean[i]) * rstd[i];
                float d = dout[off + i], g = d * weight[i];
                dbias[i] += d;
                dweight[i] += d * xhat;
                sumG[i] += g;
                sumGx[i] += g * xhat;
            }
        }
        for (int i = 0; i < C; i++) {
            sumG[i] = training ? sumG[i] / B : 0f;
            sumGx[i] = training ? sumGx[i] / B : 0f;
        }
        for (int b = 0; b < B; b++) {
            int off = b * C, i = 0;
            for (; i < bound; i += sp.length()) {
                FloatVector r = FloatVector.fromArray(sp, rstd, i);
                FloatVector xhat = FloatVector.fromArray(sp, inp, off + i).sub(FloatVector.fromArray(sp, mean, i)).mul(r);
                FloatVector g = FloatVector.fromArray(sp, dout, off + i).mul(FloatVector.fromArray(sp, weight, i));
                // dinp += rstd * (g - meanG - xhat * meanGx)
                FloatVector v = g.sub(FloatVector.fromArray(sp, sumG, i))
                        .sub(xhat.mul(FloatVector.fromArray(sp, sumGx, i))).mul(r);
                FloatVector.fromArray(sp, dinp, off + i).add(v).intoArray(dinp, off + i);
            }
            for (; i < C; i++) {
                float xhat = (inp[off + i] - mean[i]) * rstd[i];
                float g = dout[off + i] * weight[i];
                dinp[off + i] += (g - sumG[i] - xhat * sumGx[i]) * rstd[i];
            }
        }
    }

    /** The specification of {@link #batchnormBackward}. */
    public static void batchnormBackwardScalar(float[] dinp, float[] dweight, float[] dbias, float[] dout,
                                               float[] inp, float[] weight, float[] mean, float[] rstd,
                                               int B, int C, boolean training) {
        float[] meanG = new float[C], meanGx = new float[C];
        for (int b = 0; b < B; b++) {
            int off = b * C;
            for (int i = 0; i < C; i++) {
                float xhat = (inp[off + i] - mean[i]) * rstd[i];
                float d = dout[off + i], g = d * weight[i];
                dbias[i] += d;
                dweight[i] += d * xhat;
                meanG[i] += g;
                meanGx[i] += g * xhat;
            }
        }
        for (int i = 0; i < C; i++) {
            meanG[i] = training ? meanG[i] / B : 0f;
            meanGx[i] = training ? meanGx[i] / B : 0f;
        }
        for (int b = 0; b < B; b++) {
            int off = b * C;
            for (int i = 0; i < C; i++) {
                float xhat = (inp[off + i] - mean[i]) * rstd[i];
                float g = dout[off + i] * weight[i];
                dinp[off + i] += (g - meanG[i] - xhat * meanGx[i]) * rstd[i];
            }
        }
    }
}
