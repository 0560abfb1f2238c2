package aclip4j.kernel;

import static aclip4j.kernel.Lanes.LENGTH;
import static aclip4j.kernel.Lanes.SPECIES;

import jdk.incubator.vector.FloatVector;

/**
 * LayerNorm over the last axis (SPEC §1.4 with eps 1e-6, §2 with eps 1e-5).
 * Shapes: inp, out (N,C); weight, bias (C); saved mean, rstd (N). Variance is the biased one, as PyTorch.
 *
 * <p>Follows docs/SPEC.md §13 so that the scalar specification and every lane width give the same bits: the row
 * reductions (mean, variance, and the backward's {@code sum(dout * w)} and {@code sum(dout * w * xhat)}) are
 * {@link Vec}'s canonical 16-partial sums; the element-wise loops apply the same operations in the vector loop and
 * in the scalar tail ({@code Math.fma} where the vector fuses); {@code dweight} and {@code dbias} add the rows in
 * row order, one channel per lane. Each vector loop is written once, over {@link Lanes#SPECIES}.
 */
public final class LayerNorm {
    private LayerNorm() {}

    /** Rows per {@link Parallel} task (rows are independent, so any split gives the same bits). */
    static final int ROWS = 64;
    /** Channels per task of the backward's dweight / dbias pass: a multiple of every lane count. */
    static final int CHANNELS = 64;
    /** Each thread's g and xhat rows of the backward. */
    private static final ThreadLocal<float[][]> ROW = ThreadLocal.withInitial(() -> new float[2][0]);

    /** out (N,C) = fma((inp - mean) * rstd, weight, bias); saves mean (N) and rstd (N). */
    public static void layernormForward(Lanes lanes, float[] out, float[] mean, float[] rstd, float[] inp,
                                        float[] weight, float[] bias, int N, int C, float eps) {
        long t0 = KernelTimes.start();
        Parallel.forRanges(N, ROWS, (from, to) -> {
            for (int n = from; n < to; n++) {
                forwardRow(lanes, out, mean, rstd, inp, weight, bias, n, C, eps);
            }
        });
        KernelTimes.stop(KernelTimes.Family.LAYERNORM, t0);
    }

    private static void forwardRow(Lanes lanes, float[] out, float[] mean, float[] rstd, float[] inp,
                                   float[] weight, float[] bias, int n, int C, float eps) {
        int off = n * C;
        float m = Vec.sum(lanes, inp, off, C) / C;
        float var = Vec.sumSquaredDeviations(lanes, inp, off, C, m);
        float s = (float) (1.0 / Math.sqrt(var / C + eps));
        int i = 0;
        if (!lanes.scalar()) {
            for (int bound = SPECIES.loopBound(C); i < bound; i += LENGTH) {
                FloatVector xhat = FloatVector.fromArray(SPECIES, inp, off + i).sub(m).mul(s); // (x - m) * s
                // out = fma(xhat, w, b)
                xhat.fma(FloatVector.fromArray(SPECIES, weight, i), FloatVector.fromArray(SPECIES, bias, i))
                        .intoArray(out, off + i);
            }
        }
        for (; i < C; i++) {
            out[off + i] = Math.fma((inp[off + i] - m) * s, weight[i], bias[i]);
        }
        mean[n] = m;
        rstd[n] = s;
    }

    /** The specification of {@link #layernormForward}. */
    public static void layernormForwardScalar(float[] out, float[] mean, float[] rstd, float[] inp,
                                              float[] weight, float[] bias, int N, int C, float eps) {
        layernormForward(Lanes.SCALAR, out, mean, rstd, inp, weight, bias, N, C, eps);
    }

    /**
     * dinp (N,C) += LayerNorm input gradient; dweight (C) += sum_n dout * xhat; dbias (C) += sum_n dout.
     * With g = dout * weight: dinp = rstd * (g - mean(g) - xhat * mean(g * xhat)). Two passes, each cut into
     * {@link Parallel} tasks: dinp by rows, then dweight and dbias by channels, each channel adding the rows in row
     * order with the xhat the first pass used (the same operations), so the bits are those of one serial loop.
     */
    public static void layernormBackward(Lanes lanes, float[] dinp, float[] dweight, float[] dbias, float[] dout,
                                         float[] inp, float[] weight, float[] mean, float[] rstd, int N, int C) {
        long t0 = KernelTimes.start();
        Parallel.forRanges(N, ROWS, (from, to) -> {
            float[][] row = ROW.get();
            if (row[0].length < C) {
                row[0] = new float[C];
                row[1] = new float[C];
            }
            for (int n = from; n < to; n++) {
                inputGradientRow(lanes, dinp, dout, inp, weight, mean[n], rstd[n], n, C, row[0], row[1]);
            }
        });
        Parallel.forRanges(C, CHANNELS, (c0, c1) -> {
            int vectorEnd = lanes.scalar() ? 0 : Math.min(c1, SPECIES.loopBound(C));
            for (int n = 0; n < N; n++) {
                int off = n * C;
                float m = mean[n], s = rstd[n];
                int i = c0;
                for (; i < vectorEnd; i += LENGTH) {
                    FloatVector d = FloatVector.fromArray(SPECIES, dout, off + i);
                    FloatVector xh = FloatVector.fromArray(SPECIES, inp, off + i).sub(m).mul(s); // (x - m) * s
                    // dbias += d; dweight = fma(d, xhat, dweight)
                    FloatVector.fromArray(SPECIES, dbias, i).add(d).intoArray(dbias, i);
                    d.fma(xh, FloatVector.fromArray(SPECIES, dweight, i)).intoArray(dweight, i);
                }
                for (; i < c1; i++) {
                    float d = dout[off + i];
                    dbias[i] += d;
                    dweight[i] = Math.fma(d, (inp[off + i] - m) * s, dweight[i]);
                }
            }
        });
        KernelTimes.stop(KernelTimes.Family.LAYERNORM, t0);
    }

    /** Row n of dinp; g and xhat are scratch rows of at least C floats. */
    private static void inputGradientRow(Lanes lanes, float[] dinp, float[] dout, float[] inp, float[] weight,
                                         float m, float s, int n, int C, float[] g, float[] xhat) {
        int off = n * C;
        int i = 0;
        if (!lanes.scalar()) {
            for (int bound = SPECIES.loopBound(C); i < bound; i += LENGTH) {
                // g = dout * w; xhat = (x - m) * s
                FloatVector.fromArray(SPECIES, dout, off + i).mul(FloatVector.fromArray(SPECIES, weight, i))
                        .intoArray(g, i);
                FloatVector.fromArray(SPECIES, inp, off + i).sub(m).mul(s).intoArray(xhat, i);
            }
        }
        for (; i < C; i++) {
            g[i] = dout[off + i] * weight[i];
            xhat[i] = (inp[off + i] - m) * s;
        }
        // the canonical sums: partials p += g and q = fma(g, xhat, q)
        float meanG = Vec.sum(lanes, g, 0, C) / C;
        float meanGx = Vec.dot(lanes, g, 0, xhat, 0, C) / C;
        i = 0;
        if (!lanes.scalar()) {
            for (int bound = SPECIES.loopBound(C); i < bound; i += LENGTH) {
                FloatVector xh = FloatVector.fromArray(SPECIES, xhat, i);
                // dinp += (g - meanG - xhat * meanGx) * s
                FloatVector v = FloatVector.fromArray(SPECIES, g, i).sub(meanG).sub(xh.mul(meanGx)).mul(s);
                FloatVector.fromArray(SPECIES, dinp, off + i).add(v).intoArray(dinp, off + i);
            }
        }
        for (; i < C; i++) {
            dinp[off + i] += (g[i] - meanG - xhat[i] * meanGx) * s;
        }
    }

    /** The specification of {@link #layernormBackward}. */
    public static void layernormBackwardScalar(float[] dinp, float[] dweight, float[] dbias, float[] dout,
                                               float[] inp, float[] weight, float[] mean, float[] rstd, int N, int C) {
        layernormBackward(Lanes.SCALAR, dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C);
    }
}
