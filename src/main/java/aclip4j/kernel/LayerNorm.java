package aclip4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * LayerNorm over the last axis (SPEC §1.4 with eps 1e-6, §2 with eps 1e-5).
 * Shapes: inp, out (N,C); weight, bias (C); saved mean, rstd (N). Variance is the biased one, as PyTorch.
 * Summation order: the vector kernel sums lane-wise then reduces the lanes once, the scalar one left to right.
 */
public final class LayerNorm {
    private LayerNorm() {}

    /** out (N,C) = (inp - mean) * rstd * weight + bias; saves mean (N) and rstd (N). */
    public static void layernormForward(Lanes lanes, float[] out, float[] mean, float[] rstd, float[] inp,
                                        float[] weight, float[] bias, int N, int C, float eps) {
        if (lanes.scalar()) {
            layernormForwardScalar(out, mean, rstd, inp, weight, bias, N, C, eps);
            return;
        }
        VectorSpecies<Float> sp = lanes.species();
        int bound = sp.loopBound(C);
        for (int n = 0; n < N; n++) {
            int off = n * C;
            FloatVector acc = FloatVector.zero(sp);
            int i = 0;
            for (; i < bound; i += sp.length()) {
                acc = acc.add(FloatVector.fromArray(sp, inp, off + i)); // sum += x[i]
            }
            float sum = acc.reduceLanes(VectorOperators.ADD);
            for (; i < C; i++) {
                sum += inp[off + i];
            }
            float m = sum / C;
            FloatVector mv = FloatVector.broadcast(sp, m);
            acc = FloatVector.zero(sp);
            for (i = 0; i < bound; i += sp.length()) {
                FloatVector d = FloatVector.fromArray(sp, inp, off + i).sub(mv);
                acc = d.fma(d, acc); // var += (x - m)^2
            }
            float var = acc.reduceLanes(VectorOperators.ADD);
            for (; i < C; i++) {
                float d = inp[off + i] - m;
                var += d * d;
            }
            float s = (float) (1.0 / Math.sqrt(var / C + eps));
            FloatVector sv = FloatVector.broadcast(sp, s);
            for (i = 0; i < bound; i += sp.length()) {
                FloatVector xhat = FloatVector.fromArray(sp, inp, off + i).sub(mv).mul(sv);
                // out = xhat * w + b
                xhat.fma(FloatVector.fromArray(sp, weight, i), FloatVector.fromArray(sp, bias, i)).intoArray(out, off + i);
            }
            for (; i < C; i++) {
                out[off + i] = (inp[off + i] - m) * s * weight[i] + bias[i];
            }
            mean[n] = m;
            rstd[n] = s;
        }
    }

    /** The specification of {@link #layernormForward}. */
    public static void layernormForwardScalar(float[] out, float[] mean, float[] rstd, float[] inp,
                                              float[] weight, float[] bias, int N, int C, float eps) {
        for (int n = 0; n < N; n++) {
            int off = n * C;
            float sum = 0f;
            for (int i = 0; i < C; i++) {
                sum += inp[off + i];
            }
            float m = sum / C;
            float var = 0f;
            for (int i = 0; i < C; i++) {
                float d = inp[off + i] - m;
                var += d * d;
            }
            float s = (float) (1.0 / Math.sqrt(var / C + eps));
            for (int i = 0; i < C; i++) {
                out[off + i] = (inp[off + i] - m) * s * weight[i] + bias[i];
            }
            mean[n] = m;
            rstd[n] = s;
        }
    }

    /**
     * dinp (N,C) += LayerNorm input gradient; dweight (C) += sum_n dout * xhat; dbias (C) += sum_n dout.
     * With g = dout * weight: dinp = rstd * (g - mean(g) - xhat * mean(g * xhat)).
     */
    public static void layernormBackward(Lanes lanes, float[] dinp, float[] dweight, float[] dbias, float[] dout,
                                         float[] inp, float[] weight, float[] mean, float[] rstd, int N, int C) {
        if (lanes.scalar()) {
            layernormBackwardScalar(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C);
            return;
        }
        VectorSpecies<Float> sp = lanes.species();
        int bound = sp.loopBound(C);
        for (int n = 0; n < N; n++) {
            int off = n * C;
            float m = mean[n], s = rstd[n];
            FloatVector mv = FloatVector.broadcast(sp, m), sv = FloatVector.broadcast(sp, s);
            FloatVector accG = FloatVector.zero(sp), accGx = FloatVector.zero(sp);
            int i = 0;
            for (; i < bound; i += sp.length()) {
                FloatVector xhat = FloatVector.fromArray(sp, inp, off + i).sub(mv).mul(sv);
                FloatVector g = FloatVector.fromArray(sp, dout, off + i).mul(FloatVector.fromArray(sp, weight, i));
                accG = accG.add(g);            // sumG += g
                accGx = g.fma(xhat, accGx);    // sumGx += g * xhat
            }
            float sumG = accG.reduceLanes(VectorOperators.ADD);
            float sumGx = accGx.reduceLanes(VectorOperators.ADD);
            for (; i < C; i++) {
                float xhat = (inp[off + i] - m) * s;
                float g = dout[off + i] * weight[i];
                sumG += g;
                sumGx += g * xhat;
            }
            float meanG = sumG / C, meanGx = sumGx / C;
            FloatVector mgv = FloatVector.broadcast(sp, meanG), mgxv = FloatVector.broadcast(sp, meanGx);
            for (i = 0; i < bound; i += sp.length()) {
                FloatVector xhat = FloatVector.fromArray(sp, inp, off + i).sub(mv).mul(sv);
                FloatVector d = FloatVector.fromArray(sp, dout, off + i);
                // dbias += d; dweight += d * xhat
                FloatVector.fromArray(sp, dbias, i).add(d).intoArray(dbias, i);
                d.fma(xhat, FloatVector.fromArray(sp, dweight, i)).intoArray(dweight, i);
                // dinp += rstd * (g - meanG - xhat * meanGx)
                FloatVector g = d.mul(FloatVector.fromArray(sp, weight, i));
                FloatVector v = g.sub(mgv).sub(xhat.mul(mgxv)).mul(sv);
                FloatVector.fromArray(sp, dinp, off + i).add(v).intoArray(dinp, off + i);
            }
            for (; i < C; i++) {
                float xhat = (inp[off + i] - m) * s;
                float d = dout[off + i];
                dbias[i] += d;
                dweight[i] += d * xhat;
                float g = d * weight[i];
                dinp[off + i] += (g - meanG - xhat * meanGx) * s;
            }
        }
    }

    /** The specification of {@link #layernormBackward}. */
    public static void layernormBackwardScalar(float[] dinp, float[] dweight, float[] dbias, float[] dout,
                                               float[] inp, float[] weight, float[] mean, float[] rstd, int N, int C) {
        for (int n = 0; n < N; n++) {
            int off = n * C;
            float m = mean[n], s = rstd[n];
            float sumG = 0f, sumGx = 0f;
            for (int i = 0; i < C; i++) {
                float xhat = (inp[off + i] - m) * s;
                float g = dout[off + i] * weight[i];
                sumG += g;
                sumGx += g * xhat;
            }
            float meanG = sumG / C, meanGx = sumGx / C;
            for (int i = 0; i < C; i++) {
                float xhat = (inp[off + i] - m) * s;
                float d = dout[off + i];
                dbias[i] += d;
                dweight[i] += d * xhat;
                float g = d * weight[i];
                dinp[off + i] += (g - meanG - xhat * meanGx) * s;
            }
        }
    }
}
