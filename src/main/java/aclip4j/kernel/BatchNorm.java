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
        if (Vec.scalarLoops(lanes)) {
            batchnormForwardScalar(out, mean, rstd, runningMean, runningVar, inp, weight, bias, B, C, eps, momentum, training);
            return;
        }
        statistics(mean, rstd, runningMean, runningVar, inp, B, C, eps, momentum, training, lanes);
        for (int b = 0; b < B; b++) {
            switch (lanes.bits()) {
                case 512 -> normalize512(out, inp, b * C, mean, rstd, weight, bias, C);
                case 256 -> normalize256(out, inp, b * C, mean, rstd, weight, bias, C);
                case 128 -> normalize128(out, inp, b * C, mean, rstd, weight, bias, C);
                default -> throw new IllegalStateException("no vector row for " + lanes);
            }
        }
    }

    /** The specification of {@link #batchnormForward}. */
    public static void batchnormForwardScalar(float[] out, float[] mean, float[] rstd, float[] runningMean,
                                              float[] runningVar, float[] inp, float[] weight, float[] bias,
                                              int B, int C, float eps, float momentum, boolean training) {
        statistics(mean, rstd, runningMean, runningVar, inp, B, C, eps, momentum, training, Lanes.of(0));
        for (int b = 0; b < B; b++) {
            normalizeTail(out, inp, b * C, mean, rstd, weight, bias, 0, C);
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
        switch (lanes.bits()) {
            case 512 -> squaredDeviations512(var, inp, off, mean, C);
            case 256 -> squaredDeviations256(var, inp, off, mean, C);
            case 128 -> squaredDeviations128(var, inp, off, mean, C);
            default -> squaredDeviationsTail(var, inp, off, mean, 0, C);
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
        if (Vec.scalarLoops(lanes)) {
            batchnormBackwardScalar(dinp, dweight, dbias, dout, inp, weight, mean, rstd, B, C, training);
            return;
        }
        float[] sumG = new float[C], sumGx = new float[C];
        for (int b = 0; b < B; b++) {
            switch (lanes.bits()) {
                case 512 -> parameterGrads512(dweight, dbias, sumG, sumGx, dout, inp, weight, mean, rstd, b * C, C);
                case 256 -> parameterGrads256(dweight, dbias, sumG, sumGx, dout, inp, weight, mean, rstd, b * C, C);
                case 128 -> parameterGrads128(dweight, dbias, sumG, sumGx, dout, inp, weight, mean, rstd, b * C, C);
                default -> throw new IllegalStateException("no vector row for " + lanes);
            }
        }
        for (int i = 0; i < C; i++) {
            sumG[i] = training ? sumG[i] / B : 0f;
            sumGx[i] = training ? sumGx[i] / B : 0f;
        }
        for (int b = 0; b < B; b++) {
            switch (lanes.bits()) {
                case 512 -> inputGrad512(dinp, dout, inp, weight, mean, rstd, sumG, sumGx, b * C, C);
                case 256 -> inputGrad256(dinp, dout, inp, weight, mean, rstd, sumG, sumGx, b * C, C);
                case 128 -> inputGrad128(dinp, dout, inp, weight, mean, rstd, sumG, sumGx, b * C, C);
                default -> throw new IllegalStateException("no vector row for " + lanes);
            }
        }
    }

    /** The specification of {@link #batchnormBackward}. */
    public static void batchnormBackwardScalar(float[] dinp, float[] dweight, float[] dbias, float[] dout,
                                               float[] inp, float[] weight, float[] mean, float[] rstd,
                                               int B, int C, boolean training) {
        float[] meanG = new float[C], meanGx = new float[C];
        for (int b = 0; b < B; b++) {
            parameterGradsTail(dweight, dbias, meanG, meanGx, dout, inp, weight, mean, rstd, b * C, 0, C);
        }
        for (int i = 0; i < C; i++) {
            meanG[i] = training ? meanG[i] / B : 0f;
            meanGx[i] = training ? meanGx[i] / B : 0f;
        }
        for (int b = 0; b < B; b++) {
            inputGradTail(dinp, dout, inp, weight, mean, rstd, meanG, meanGx, b * C, 0, C);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The row loops: the scalar meaning (also the vector tail), then one vector copy per width (C2 needs the
    // species as a constant, see Vec; the copies differ only in it). off is the row b * C.

    /** out[off+i] = (inp[off+i] - mean[i]) * rstd[i] * w[i] + b[i] for i in [from, C). */
    private static void normalizeTail(float[] out, float[] inp, int off, float[] mean, float[] rstd, float[] w,
                                      float[] b, int from, int C) {
        for (int i = from; i < C; i++) {
            out[off + i] = (inp[off + i] - mean[i]) * rstd[i] * w[i] + b[i];
        }
    }

    private static void squaredDeviationsTail(float[] var, float[] inp, int off, float[] mean, int from, int C) {
        for (int i = from; i < C; i++) {
            float d = inp[off + i] - mean[i];
            var[i] += d * d;
        }
    }

    /** dbias += d; dweight += d * xhat; sumG += g; sumGx += g * xhat, with d = dout, g = d * w, for i in [from, C). */
    private static void parameterGradsTail(float[] dweight, float[] dbias, float[] sumG, float[] sumGx, float[] dout,
                                           float[] inp, float[] weight, float[] mean, float[] rstd, int off,
                                           int from, int C) {
        for (int i = from; i < C; i++) {
            float xhat = (inp[off + i] - mean[i]) * rstd[i];
            float d = dout[off + i], g = d * weight[i];
            dbias[i] += d;
            dweight[i] += d * xhat;
            sumG[i] += g;
            sumGx[i] += g * xhat;
        }
    }

    /** dinp += rstd * (g - meanG - xhat * meanGx), g = dout * w, for i in [from, C). */
    private static void inputGradTail(float[] dinp, float[] dout, float[] inp, float[] weight, float[] mean,
                                      float[] rstd, float[] meanG, float[] meanGx, int off, int from, int C) {
        for (int i = from; i < C; i++) {
            float xhat = (inp[off + i] - mean[i]) * rstd[i];
            float g = dout[off + i] * weight[i];
            dinp[off + i] += (g - meanG[i] - xhat * meanGx[i]) * rstd[i];
        }
    }

    private static void normalize512(float[] out, float[] inp, int off, float[] mean, float[] rstd, float[] w,
                                     float[] b, int C) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int i = 0;
        for (int bound = S.loopBound(C); i < bound; i += S.length()) {
            FloatVector xhat = FloatVector.fromArray(S, inp, off + i).sub(FloatVector.fromArray(S, mean, i))
                    .mul(FloatVector.fromArray(S, rstd, i));
            xhat.fma(FloatVector.fromArray(S, w, i), FloatVector.fromArray(S, b, i)).intoArray(out, off + i);
        }
        normalizeTail(out, inp, off, mean, rstd, w, b, i, C);
    }

    private static void squaredDeviations512(float[] var, float[] inp, int off, float[] mean, int C) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int i = 0;
        for (int bound = S.loopBound(C); i < bound; i += S.length()) {
            FloatVector d = FloatVector.fromArray(S, inp, off + i).sub(FloatVector.fromArray(S, mean, i));
            d.fma(d, FloatVector.fromArray(S, var, i)).intoArray(var, i);
        }
        squaredDeviationsTail(var, inp, off, mean, i, C);
    }

    private static void parameterGrads512(float[] dweight, float[] dbias, float[] sumG, float[] sumGx, float[] dout,
                                          float[] inp, float[] weight, float[] mean, float[] rstd, int off, int C) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int i = 0;
        for (int bound = S.loopBound(C); i < bound; i += S.length()) {
            FloatVector xhat = FloatVector.fromArray(S, inp, off + i).sub(FloatVector.fromArray(S, mean, i))
                    .mul(FloatVector.fromArray(S, rstd, i));
            FloatVector d = FloatVector.fromArray(S, dout, off + i);
            FloatVector g = d.mul(FloatVector.fromArray(S, weight, i));
            FloatVector.fromArray(S, dbias, i).add(d).intoArray(dbias, i);
            d.fma(xhat, FloatVector.fromArray(S, dweight, i)).intoArray(dweight, i);
            FloatVector.fromArray(S, sumG, i).add(g).intoArray(sumG, i);
            g.fma(xhat, FloatVector.fromArray(S, sumGx, i)).intoArray(sumGx, i);
        }
        parameterGradsTail(dweight, dbias, sumG, sumGx, dout, inp, weight, mean, rstd, off, i, C);
    }

    private static void inputGrad512(float[] dinp, float[] dout, float[] inp, float[] weight, float[] mean,
                                     float[] rstd, float[] meanG, float[] meanGx, int off, int C) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int i = 0;
        for (int bound = S.loopBound(C); i < bound; i += S.length()) {
            FloatVector r = FloatVector.fromArray(S, rstd, i);
            FloatVector xhat = FloatVector.fromArray(S, inp, off + i).sub(FloatVector.fromArray(S, mean, i)).mul(r);
            FloatVector g = FloatVector.fromArray(S, dout, off + i).mul(FloatVector.fromArray(S, weight, i));
            FloatVector v = g.sub(FloatVector.fromArray(S, meanG, i))
                    .sub(xhat.mul(FloatVector.fromArray(S, meanGx, i))).mul(r);
            FloatVector.fromArray(S, dinp, off + i).add(v).intoArray(dinp, off + i);
        }
        inputGradTail(dinp, dout, inp, weight, mean, rstd, meanG, meanGx, off, i, C);
    }

    private static void normalize256(float[] out, float[] inp, int off, float[] mean, float[] rstd, float[] w,
                                     float[] b, int C) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int i = 0;
        for (int bound = S.loopBound(C); i < bound; i += S.length()) {
            FloatVector xhat = FloatVector.fromArray(S, inp, off + i).sub(FloatVector.fromArray(S, mean, i))
                    .mul(FloatVector.fromArray(S, rstd, i));
            xhat.fma(FloatVector.fromArray(S, w, i), FloatVector.fromArray(S, b, i)).intoArray(out, off + i);
        }
        normalizeTail(out, inp, off, mean, rstd, w, b, i, C);
    }

    private static void squaredDeviations256(float[] var, float[] inp, int off, float[] mean, int C) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int i = 0;
        for (int bound = S.loopBound(C); i < bound; i += S.length()) {
            FloatVector d = FloatVector.fromArray(S, inp, off + i).sub(FloatVector.fromArray(S, mean, i));
            d.fma(d, FloatVector.fromArray(S, var, i)).intoArray(var, i);
        }
        squaredDeviationsTail(var, inp, off, mean, i, C);
    }

    private static void parameterGrads256(float[] dweight, float[] dbias, float[] sumG, float[] sumGx, float[] dout,
                                          float[] inp, float[] weight, float[] mean, float[] rstd, int off, int C) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int i = 0;
        for (int bound = S.loopBound(C); i < bound; i += S.length()) {
            FloatVector xhat = FloatVector.fromArray(S, inp, off + i).sub(FloatVector.fromArray(S, mean, i))
                    .mul(FloatVector.fromArray(S, rstd, i));
            FloatVector d = FloatVector.fromArray(S, dout, off + i);
            FloatVector g = d.mul(FloatVector.fromArray(S, weight, i));
            FloatVector.fromArray(S, dbias, i).add(d).intoArray(dbias, i);
            d.fma(xhat, FloatVector.fromArray(S, dweight, i)).intoArray(dweight, i);
            FloatVector.fromArray(S, sumG, i).add(g).intoArray(sumG, i);
            g.fma(xhat, FloatVector.fromArray(S, sumGx, i)).intoArray(sumGx, i);
        }
        parameterGradsTail(dweight, dbias, sumG, sumGx, dout, inp, weight, mean, rstd, off, i, C);
    }

    private static void inputGrad256(float[] dinp, float[] dout, float[] inp, float[] weight, float[] mean,
                                     float[] rstd, float[] meanG, float[] meanGx, int off, int C) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int i = 0;
        for (int bound = S.loopBound(C); i < bound; i += S.length()) {
            FloatVector r = FloatVector.fromArray(S, rstd, i);
            FloatVector xhat = FloatVector.fromArray(S, inp, off + i).sub(FloatVector.fromArray(S, mean, i)).mul(r);
            FloatVector g = FloatVector.fromArray(S, dout, off + i).mul(FloatVector.fromArray(S, weight, i));
            FloatVector v = g.sub(FloatVector.fromArray(S, meanG, i))
                    .sub(xhat.mul(FloatVector.fromArray(S, meanGx, i))).mul(r);
            FloatVector.fromArray(S, dinp, off + i).add(v).intoArray(dinp, off + i);
        }
        inputGradTail(dinp, dout, inp, weight, mean, rstd, meanG, meanGx, off, i, C);
    }

    private static void normalize128(float[] out, float[] inp, int off, float[] mean, float[] rstd, float[] w,
                                     float[] b, int C) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int i = 0;
        for (int bound = S.loopBound(C); i < bound; i += S.length()) {
            FloatVector xhat = FloatVector.fromArray(S, inp, off + i).sub(FloatVector.fromArray(S, mean, i))
                    .mul(FloatVector.fromArray(S, rstd, i));
            xhat.fma(FloatVector.fromArray(S, w, i), FloatVector.fromArray(S, b, i)).intoArray(out, off + i);
        }
        normalizeTail(out, inp, off, mean, rstd, w, b, i, C);
    }

    private static void squaredDeviations128(float[] var, float[] inp, int off, float[] mean, int C) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int i = 0;
        for (int bound = S.loopBound(C); i < bound; i += S.length()) {
            FloatVector d = FloatVector.fromArray(S, inp, off + i).sub(FloatVector.fromArray(S, mean, i));
            d.fma(d, FloatVector.fromArray(S, var, i)).intoArray(var, i);
        }
        squaredDeviationsTail(var, inp, off, mean, i, C);
    }

    private static void parameterGrads128(float[] dweight, float[] dbias, float[] sumG, float[] sumGx, float[] dout,
                                          float[] inp, float[] weight, float[] mean, float[] rstd, int off, int C) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int i = 0;
        for (int bound = S.loopBound(C); i < bound; i += S.length()) {
            FloatVector xhat = FloatVector.fromArray(S, inp, off + i).sub(FloatVector.fromArray(S, mean, i))
                    .mul(FloatVector.fromArray(S, rstd, i));
            FloatVector d = FloatVector.fromArray(S, dout, off + i);
            FloatVector g = d.mul(FloatVector.fromArray(S, weight, i));
            FloatVector.fromArray(S, dbias, i).add(d).intoArray(dbias, i);
            d.fma(xhat, FloatVector.fromArray(S, dweight, i)).intoArray(dweight, i);
            FloatVector.fromArray(S, sumG, i).add(g).intoArray(sumG, i);
            g.fma(xhat, FloatVector.fromArray(S, sumGx, i)).intoArray(sumGx, i);
        }
        parameterGradsTail(dweight, dbias, sumG, sumGx, dout, inp, weight, mean, rstd, off, i, C);
    }

    private static void inputGrad128(float[] dinp, float[] dout, float[] inp, float[] weight, float[] mean,
                                     float[] rstd, float[] meanG, float[] meanGx, int off, int C) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int i = 0;
        for (int bound = S.loopBound(C); i < bound; i += S.length()) {
            FloatVector r = FloatVector.fromArray(S, rstd, i);
            FloatVector xhat = FloatVector.fromArray(S, inp, off + i).sub(FloatVector.fromArray(S, mean, i)).mul(r);
            FloatVector g = FloatVector.fromArray(S, dout, off + i).mul(FloatVector.fromArray(S, weight, i));
            FloatVector v = g.sub(FloatVector.fromArray(S, meanG, i))
                    .sub(xhat.mul(FloatVector.fromArray(S, meanGx, i))).mul(r);
            FloatVector.fromArray(S, dinp, off + i).add(v).intoArray(dinp, off + i);
        }
        inputGradTail(dinp, dout, inp, weight, mean, rstd, meanG, meanGx, off, i, C);
    }
}
