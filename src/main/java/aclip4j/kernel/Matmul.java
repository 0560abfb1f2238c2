package aclip4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Linear layers as llm.c writes them: {@code out = inp @ weight^T + bias}, with {@code weight} in PyTorch's
 * {@code [OC, C]} layout. Backward <b>adds</b> into the gradients.
 *
 * <p>The {@code *Scalar} methods are the specification: plain loops, one fused multiply-add per term
 * (docs/SPEC.md §13: a matrix product accumulates each output over k in increasing order).
 * The other methods compute the same thing with the cache-blocked, register-tiled Vector API core in
 * {@link MatmulGemm}, on {@link Parallel}'s threads: forward is {@code inp @ weight^T} (weight transposed while
 * packing), {@code dinp = dout @ weight} and {@code dweight = dout^T @ inp} (dout transposed while packing).
 *
 * <p>Summation order of the fast path: each output element starts from its bias, zero, or the gradient already
 * there, then adds the products in increasing order of the reduction index with one fused multiply-add each,
 * exactly as the scalar loops do, so the two give the same bits at every lane width; no reduction is ever split
 * across tasks, so the thread count changes nothing either. {@link Lanes#SCALAR} runs the scalar loops.
 */
public final class Matmul {
    private Matmul() {}

    /** out (BT,OC) = inp (BT,C) @ weight (OC,C)^T + bias (OC), no bias when null; at {@link Lanes#preferred()}. */
    public static void matmulForward(float[] out, float[] inp, float[] weight, float[] bias, int BT, int C, int OC) {
        matmulForward(Lanes.preferred(), out, inp, weight, bias, BT, C, OC);
    }

    /** out (BT,OC) = inp (BT,C) @ weight (OC,C)^T + bias (OC), no bias when null. */
    public static void matmulForward(Lanes lanes, float[] out, float[] inp, float[] weight, float[] bias,
                                     int BT, int C, int OC) {
        checkForward(out, inp, weight, bias, BT, C, OC);
        long t0 = KernelTimes.start();
        if (lanes.scalar()) {
            matmulForwardScalar(out, inp, weight, bias, BT, C, OC);
            KernelTimes.stopMatmul(t0, 2.0 * BT * C * OC);
            return;
        }
        MatmulGemm.gemm(BT, OC, C,
                new MatmulGemm.Operand(inp, 0, C, 1),      // A(t, c) = inp[t][c]
                new MatmulGemm.Operand(weight, 0, 1, C),   // B(c, o) = weight[o][c]
                out, OC, bias, false);
        KernelTimes.stopMatmul(t0, 2.0 * BT * C * OC);
    }

    /**
     * dinp (BT,C) += dout (BT,OC) @ weight (OC,C); dweight (OC,C) += dout^T @ inp; dbias (OC) += sum over BT of dout.
     * Any of dinp, dweight, dbias may be null to skip it. At {@link Lanes#preferred()}.
     */
    public static void matmulBackward(float[] dinp, float[] dweight, float[] dbias, float[] dout, float[] inp,
                                      float[] weight, int BT, int C, int OC) {
        matmulBackward(Lanes.preferred(), dinp, dweight, dbias, dout, inp, weight, BT, C, OC);
    }

    /**
     * dinp (BT,C) += dout (BT,OC) @ weight (OC,C); dweight (OC,C) += dout^T @ inp; dbias (OC) += sum over BT of dout.
     * Any of dinp, dweight, dbias may be null to skip it.
     */
    public static void matmulBackward(Lanes lanes, float[] dinp, float[] dweight, float[] dbias, float[] dout,
                                      float[] inp, float[] weight, int BT, int C, int OC) {
        matmulBackward(lanes, dinp, true, dweight, dbias, dout, inp, weight, BT, C, OC);
    }

    /**
     * As {@link #matmulBackward(Lanes, float[], float[], float[], float[], float[], float[], int, int, int)}, but
     * dinp is set, not added to: {@code dinp = dout @ weight}, whatever dinp held. The bits are those of zeroing
     * dinp first (each element starts from 0, then the same fma per term), without a separate pass over dinp.
     */
    public static void matmulBackwardSet(Lanes lanes, float[] dinp, float[] dweight, float[] dbias, float[] dout,
                                         float[] inp, float[] weight, int BT, int C, int OC) {
        matmulBackward(lanes, dinp, false, dweight, dbias, dout, inp, weight, BT, C, OC);
    }

    private static void matmulBackward(Lanes lanes, float[] dinp, boolean addToDinp, float[] dweight, float[] dbias,
                                       float[] dout, float[] inp, float[] weight, int BT, int C, int OC) {
        checkBackward(dinp, dweight, dbias, dout, inp, weight, BT, C, OC);
        long t0 = KernelTimes.start();
        double flops = 2.0 * BT * C * OC * ((dinp != null ? 1 : 0) + (dweight != null ? 1 : 0));
        if (lanes.scalar()) {
            if (dinp != null && !addToDinp) {
                java.util.Arrays.fill(dinp, 0, BT * C, 0f);
            }
            matmulBackwardScalar(dinp, dweight, dbias, dout, inp, weight, BT, C, OC);
            KernelTimes.stopMatmul(t0, flops);
            return;
        }
        if (dinp != null) {
            MatmulGemm.gemm(BT, C, OC,
                    new MatmulGemm.Operand(dout, 0, OC, 1),    // A(t, o) = dout[t][o]
                    new MatmulGemm.Operand(weight, 0, C, 1),   // B(o, c) = weight[o][c]
                    dinp, C, null, addToDinp);
        }
        if (dweight != null) {
            MatmulGemm.gemm(OC, C, BT,
                    new MatmulGemm.Operand(dout, 0, 1, OC),    // A(o, t) = dout[t][o]
                    new MatmulGemm.Operand(inp, 0, C, 1),      // B(t, c) = inp[t][c]
                    dweight, C, null, true);
        }
        if (dbias != null) {
            biasBackward(dbias, dout, BT, OC);
        }
        KernelTimes.stopMatmul(t0, flops);
    }

    /** Rows of dout one pass over a column range covers before moving to the next columns (see biasBackward). */
    private static final int BIAS_ROWS = 32;

    /**
     * dbias[o] += dout[0][o] + dout[1][o] + ... in that order, lanes running along o: the very additions of the
     * scalar loop, so this part is bit-identical to it. Each thread takes one range of columns and walks dout's rows
     * in blocks of {@link #BIAS_ROWS}: within a block, four column vectors at a time go down the block's rows (four
     * sums in flight), so dout streams from memory row by row and each block is re-read from L2 only. Walking a
     * column strip down all rows at once instead touched a new page on every row (6304 rows of 6 KB at batch 32)
     * and took 1.5-2.5 times as long (BENCHMARKS.md, Zen 3 fifth-session section). A column's running sum
     * goes through dbias between blocks unchanged, so the split into blocks and ranges never changes the bits.
     */
    private static void biasBackward(float[] dbias, float[] dout, int BT, int OC) {
        final int group = 4 * Lanes.LENGTH;
        int groups = (OC + group - 1) / group;
        int perThread = (groups + Parallel.threads() - 1) / Parallel.threads();
        Parallel.forRanges(OC, perThread * group, (o0, o1) -> {
            for (int t0 = 0; t0 < BT; t0 += BIAS_ROWS) {
                biasRows(dbias, dout, OC, o0, o1, t0, Math.min(BT, t0 + BIAS_ROWS));
            }
        });
    }

    /** dbias[o] += dout[t0][o] + ... + dout[t1 - 1][o] for o in [o0, o1), rows in order. */
    private static void biasRows(float[] dbias, float[] dout, int OC, int o0, int o1, int t0, int t1) {
        final VectorSpecies<Float> s = Lanes.SPECIES;
        final int l = Lanes.LENGTH;
        int bound = o0 + s.loopBound(o1 - o0);
        int o = o0;
        for (; o + 4 * l <= bound; o += 4 * l) {
            FloatVector a0 = FloatVector.fromArray(s, dbias, o), a1 = FloatVector.fromArray(s, dbias, o + l),
                    a2 = FloatVector.fromArray(s, dbias, o + 2 * l), a3 = FloatVector.fromArray(s, dbias, o + 3 * l);
            for (int t = t0, r = t0 * OC + o; t < t1; t++, r += OC) {
                a0 = a0.add(FloatVector.fromArray(s, dout, r));
                a1 = a1.add(FloatVector.fromArray(s, dout, r + l));
                a2 = a2.add(FloatVector.fromArray(s, dout, r + 2 * l));
                a3 = a3.add(FloatVector.fromArray(s, dout, r + 3 * l));
            }
            a0.intoArray(dbias, o);
            a1.intoArray(dbias, o + l);
            a2.intoArray(dbias, o + 2 * l);
            a3.intoArray(dbias, o + 3 * l);
        }
        for (; o < bound; o += l) {
            FloatVector acc = FloatVector.fromArray(s, dbias, o);
            for (int t = t0; t < t1; t++) {
                acc = acc.add(FloatVector.fromArray(s, dout, t * OC + o)); // dbias[o] += dout[t][o]
            }
            acc.intoArray(dbias, o);
        }
        for (; o < o1; o++) {
            float acc = dbias[o];
            for (int t = t0; t < t1; t++) {
                acc += dout[t * OC + o];
            }
            dbias[o] = acc;
        }
    }

    /** The specification of {@link #matmulForward}: out (BT,OC) = inp (BT,C) @ weight (OC,C)^T + bias (OC). */
    public static void matmulForwardScalar(float[] out, float[] inp, float[] weight, float[] bias,
                                           int BT, int C, int OC) {
        for (int t = 0; t < BT; t++) {
            for (int o = 0; o < OC; o++) {
                float acc = bias == null ? 0f : bias[o];
                for (int c = 0; c < C; c++) {
                    acc = Math.fma(inp[t * C + c], weight[o * C + c], acc);
                }
                out[t * OC + o] = acc;
            }
        }
    }

    /** The specification of {@link #matmulBackward}; adds into dinp, dweight, dbias (each may be null). */
    public static void matmulBackwardScalar(float[] dinp, float[] dweight, float[] dbias, float[] dout, float[] inp,
                                            float[] weight, int BT, int C, int OC) {
        if (dinp != null) {
            for (int t = 0; t < BT; t++) {
                for (int o = 0; o < OC; o++) {
                    float d = dout[t * OC + o];
                    for (int c = 0; c < C; c++) {
                        dinp[t * C + c] = Math.fma(d, weight[o * C + c], dinp[t * C + c]);
                    }
                }
            }
        }
        if (dweight != null || dbias != null) {
            for (int o = 0; o < OC; o++) {
                for (int t = 0; t < BT; t++) {
                    float d = dout[t * OC + o];
                    if (dbias != null) {
                        dbias[o] += d;
                    }
                    if (dweight != null) {
                        for (int c = 0; c < C; c++) {
                            dweight[o * C + c] = Math.fma(d, inp[t * C + c], dweight[o * C + c]);
                        }
                    }
                }
            }
        }
    }

    private static void checkForward(float[] out, float[] inp, float[] weight, float[] bias, int BT, int C, int OC) {
        checkDims(BT, C, OC);
        checkArray("out", out, (long) BT * OC, "(BT,OC)", BT, OC);
        checkArray("inp", inp, (long) BT * C, "(BT,C)", BT, C);
        checkArray("weight", weight, (long) OC * C, "(OC,C)", OC, C);
        if (bias != null) {
            checkArray("bias", bias, OC, "(OC)", OC, 1);
        }
    }

    private static void checkBackward(float[] dinp, float[] dweight, float[] dbias, float[] dout, float[] inp,
                                      float[] weight, int BT, int C, int OC) {
        checkDims(BT, C, OC);
        checkArray("dout", dout, (long) BT * OC, "(BT,OC)", BT, OC);
        if (dinp != null) {
            checkArray("dinp", dinp, (long) BT * C, "(BT,C)", BT, C);
            checkArray("weight", weight, (long) OC * C, "(OC,C)", OC, C);
        }
        if (dweight != null) {
            checkArray("dweight", dweight, (long) OC * C, "(OC,C)", OC, C);
            checkArray("inp", inp, (long) BT * C, "(BT,C)", BT, C);
        }
        if (dbias != null) {
            checkArray("dbias", dbias, OC, "(OC)", OC, 1);
        }
    }

    private static void checkDims(int BT, int C, int OC) {
        if (BT < 0 || C < 0 || OC < 0) {
            throw new IllegalArgumentException(
                    "matmul dims BT=" + BT + ", C=" + C + ", OC=" + OC + " must all be non-negative");
        }
    }

    private static void checkArray(String name, float[] a, long need, String shape, int d0, int d1) {
        if (a == null) {
            throw new IllegalArgumentException(name + " is null, expected " + shape + " = " + need + " floats");
        }
        if (a.length < need) {
            throw new IllegalArgumentException(name + " has " + a.length + " floats, expected at least " + shape
                    + " = " + d0 + "x" + d1 + " = " + need);
        }
        if (need > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " " + shape + " = " + need + " floats exceeds a Java array");
        }
    }
}
