package aclip4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * LayerNorm over the last axis (SPEC §1.4 with eps 1e-6, §2 with eps 1e-5).
 * Shapes: inp, out (N,C); weight, bias (C); saved mean, rstd (N). Variance is the biased one, as PyTorch.
 * Summation order: the vector kernel sums lane-wise then reduces the lanes once, the scalar one left to right.
 * The vector row loops exist once per width ({@code normalize512}, ...; read the 512 copy): C2 needs the species
 * as a constant, see {@link Vec}.
 */
public final class LayerNorm {
    private LayerNorm() {}

    /** out (N,C) = (inp - mean) * rstd * weight + bias; saves mean (N) and rstd (N). */
    public static void layernormForward(Lanes lanes, float[] out, float[] mean, float[] rstd, float[] inp,
                                        float[] weight, float[] bias, int N, int C, float eps) {
        if (Vec.scalarLoops(lanes)) {
            layernormForwardScalar(out, mean, rstd, inp, weight, bias, N, C, eps);
            return;
        }
        for (int n = 0; n < N; n++) {
            int off = n * C;
            float m = Vec.sum(lanes, inp, off, C) / C;
            float var = Vec.sumSquaredDeviations(lanes, inp, off, C, m);
            float s = (float) (1.0 / Math.sqrt(var / C + eps));
            switch (lanes.bits()) {
                case 512 -> normalize512(out, inp, off, m, s, weight, bias, C);
                case 256 -> normalize256(out, inp, off, m, s, weight, bias, C);
                case 128 -> normalize128(out, inp, off, m, s, weight, bias, C);
                default -> throw new IllegalStateException("no vector row for " + lanes);
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
        if (Vec.scalarLoops(lanes)) {
            layernormBackwardScalar(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C);
            return;
        }
        for (int n = 0; n < N; n++) {
            switch (lanes.bits()) {
                case 512 -> backwardRow512(dinp, dweight, dbias, dout, inp, weight, mean[n], rstd[n], n * C, C);
                case 256 -> backwardRow256(dinp, dweight, dbias, dout, inp, weight, mean[n], rstd[n], n * C, C);
                case 128 -> backwardRow128(dinp, dweight, dbias, dout, inp, weight, mean[n], rstd[n], n * C, C);
                default -> throw new IllegalStateException("no vector row for " + lanes);
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

    /** out[off+i] = (inp[off+i] - m) * s * w[i] + b[i] for i in [from, C): the forward's last loop. */
    private static void normalizeTail(float[] out, float[] inp, int off, float m, float s, float[] w, float[] b,
                                      int from, int C) {
        for (int i = from; i < C; i++) {
            out[off + i] = (inp[off + i] - m) * s * w[i] + b[i];
        }
    }

    private static void normalize512(float[] out, float[] inp, int off, float m, float s, float[] w, float[] b, int C) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int i = 0;
        for (int bound = S.loopBound(C); i < bound; i += S.length()) {
            FloatVector xhat = FloatVector.fromArray(S, inp, off + i).sub(m).mul(s);
            // out = xhat * w + b
            xhat.fma(FloatVector.fromArray(S, w, i), FloatVector.fromArray(S, b, i)).intoArray(out, off + i);
        }
        normalizeTail(out, inp, off, m, s, w, b, i, C);
    }

    private static void normalize256(float[] out, float[] inp, int off, float m, float s, float[] w, float[] b, int C) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int i = 0;
        for (int bound = S.loopBound(C); i < bound; i += S.length()) {
            FloatVector xhat = FloatVector.fromArray(S, inp, off + i).sub(m).mul(s);
            // out = xhat * w + b
            xhat.fma(FloatVector.fromArray(S, w, i), FloatVector.fromArray(S, b, i)).intoArray(out, off + i);
        }
        normalizeTail(out, inp, off, m, s, w, b, i, C);
    }

    private static void normalize128(float[] out, float[] inp, int off, float m, float s, float[] w, float[] b, int C) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int i = 0;
        for (int bound = S.loopBound(C); i < bound; i += S.length()) {
            FloatVector xhat = FloatVector.fromArray(S, inp, off + i).sub(m).mul(s);
            // out = xhat * w + b
            xhat.fma(FloatVector.fromArray(S, w, i), FloatVector.fromArray(S, b, i)).intoArray(out, off + i);
        }
        normalizeTail(out, inp, off, m, s, w, b, i, C);
    }

    /** One row of {@link #layernormBackward}: the two loops of the scalar twin, at row offset off. */
    private static void backwardRow512(float[] dinp, float[] dweight, float[] dbias, float[] dout, float[] inp,
                                       float[] weight, float m, float s, int off, int C) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int bound = S.loopBound(C);
        FloatVector accG = FloatVector.zero(S), accGx = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector xhat = FloatVector.fromArray(S, inp, off + i).sub(m).mul(s);
            FloatVector g = FloatVector.fromArray(S, dout, off + i).mul(FloatVector.fromArray(S, weight, i));
            accG = accG.add(g);            // sumG += g
            accGx = g.fma(xhat, accGx);    // sumGx += g * xhat
        }
        float sumG = VecMath.sumLanes(accG);
        float sumGx = VecMath.sumLanes(accGx);
        for (; i < C; i++) {
            float xhat = (inp[off + i] - m) * s;
            float g = dout[off + i] * weight[i];
            sumG += g;
            sumGx += g * xhat;
        }
        float meanG = sumG / C, meanGx = sumGx / C;
        for (i = 0; i < bound; i += S.length()) {
            FloatVector xhat = FloatVector.fromArray(S, inp, off + i).sub(m).mul(s);
            FloatVector d = FloatVector.fromArray(S, dout, off + i);
            // dbias += d; dweight += d * xhat
            FloatVector.fromArray(S, dbias, i).add(d).intoArray(dbias, i);
            d.fma(xhat, FloatVector.fromArray(S, dweight, i)).intoArray(dweight, i);
            // dinp += rstd * (g - meanG - xhat * meanGx)
            FloatVector g = d.mul(FloatVector.fromArray(S, weight, i));
            FloatVector v = g.sub(meanG).sub(xhat.mul(meanGx)).mul(s);
            FloatVector.fromArray(S, dinp, off + i).add(v).intoArray(dinp, off + i);
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

    /** One row of {@link #layernormBackward}: the two loops of the scalar twin, at row offset off. */
    private static void backwardRow256(float[] dinp, float[] dweight, float[] dbias, float[] dout, float[] inp,
                                       float[] weight, float m, float s, int off, int C) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int bound = S.loopBound(C);
        FloatVector accG = FloatVector.zero(S), accGx = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector xhat = FloatVector.fromArray(S, inp, off + i).sub(m).mul(s);
            FloatVector g = FloatVector.fromArray(S, dout, off + i).mul(FloatVector.fromArray(S, weight, i));
            accG = accG.add(g);            // sumG += g
            accGx = g.fma(xhat, accGx);    // sumGx += g * xhat
        }
        float sumG = VecMath.sumLanes(accG);
        float sumGx = VecMath.sumLanes(accGx);
        for (; i < C; i++) {
            float xhat = (inp[off + i] - m) * s;
            float g = dout[off + i] * weight[i];
            sumG += g;
            sumGx += g * xhat;
        }
        float meanG = sumG / C, meanGx = sumGx / C;
        for (i = 0; i < bound; i += S.length()) {
            FloatVector xhat = FloatVector.fromArray(S, inp, off + i).sub(m).mul(s);
            FloatVector d = FloatVector.fromArray(S, dout, off + i);
            // dbias += d; dweight += d * xhat
            FloatVector.fromArray(S, dbias, i).add(d).intoArray(dbias, i);
            d.fma(xhat, FloatVector.fromArray(S, dweight, i)).intoArray(dweight, i);
            // dinp += rstd * (g - meanG - xhat * meanGx)
            FloatVector g = d.mul(FloatVector.fromArray(S, weight, i));
            FloatVector v = g.sub(meanG).sub(xhat.mul(meanGx)).mul(s);
            FloatVector.fromArray(S, dinp, off + i).add(v).intoArray(dinp, off + i);
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

    /** One row of {@link #layernormBackward}: the two loops of the scalar twin, at row offset off. */
    private static void backwardRow128(float[] dinp, float[] dweight, float[] dbias, float[] dout, float[] inp,
                                       float[] weight, float m, float s, int off, int C) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int bound = S.loopBound(C);
        FloatVector accG = FloatVector.zero(S), accGx = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector xhat = FloatVector.fromArray(S, inp, off + i).sub(m).mul(s);
            FloatVector g = FloatVector.fromArray(S, dout, off + i).mul(FloatVector.fromArray(S, weight, i));
            accG = accG.add(g);            // sumG += g
            accGx = g.fma(xhat, accGx);    // sumGx += g * xhat
        }
        float sumG = VecMath.sumLanes(accG);
        float sumGx = VecMath.sumLanes(accGx);
        for (; i < C; i++) {
            float xhat = (inp[off + i] - m) * s;
            float g = dout[off + i] * weight[i];
            sumG += g;
            sumGx += g * xhat;
        }
        float meanG = sumG / C, meanGx = sumGx / C;
        for (i = 0; i < bound; i += S.length()) {
            FloatVector xhat = FloatVector.fromArray(S, inp, off + i).sub(m).mul(s);
            FloatVector d = FloatVector.fromArray(S, dout, off + i);
            // dbias += d; dweight += d * xhat
            FloatVector.fromArray(S, dbias, i).add(d).intoArray(dbias, i);
            d.fma(xhat, FloatVector.fromArray(S, dweight, i)).intoArray(dweight, i);
            // dinp += rstd * (g - meanG - xhat * meanGx)
            FloatVector g = d.mul(FloatVector.fromArray(S, weight, i));
            FloatVector v = g.sub(meanG).sub(xhat.mul(meanGx)).mul(s);
            FloatVector.fromArray(S, dinp, off + i).add(v).intoArray(dinp, off + i);
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
