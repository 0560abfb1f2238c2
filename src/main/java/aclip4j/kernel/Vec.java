package aclip4j.kernel;

import static aclip4j.kernel.Lanes.ACCUMULATORS;
import static aclip4j.kernel.Lanes.LENGTH;
import static aclip4j.kernel.Lanes.SPECIES;
import static aclip4j.kernel.VecMath.LN2_HI;
import static aclip4j.kernel.VecMath.LN2_LO;
import static aclip4j.kernel.VecMath.LOG2E;
import static aclip4j.kernel.VecMath.P0;
import static aclip4j.kernel.VecMath.P1;
import static aclip4j.kernel.VecMath.P2;
import static aclip4j.kernel.VecMath.P3;
import static aclip4j.kernel.VecMath.P4;
import static aclip4j.kernel.VecMath.P5;
import static aclip4j.kernel.VecMath.ROUND;
import static aclip4j.kernel.VecMath.ROUND_BITS;
import static aclip4j.kernel.VecMath.blocks16;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The row primitives the Vector API kernels are built from (dot products, sums, {@code y += a*x}, ...), each
 * written once: its scalar loop (the specification) and one vector loop over {@link Lanes#SPECIES}, the width of
 * this JVM, a {@code static final} that C2 folds. Shapes: {@code n} floats from each offset.
 *
 * <p><b>Same bits at every width</b> (docs/SPEC.md §13). Element-wise primitives apply the same IEEE operations to
 * every element in the vector loop and in the scalar tail ({@code Math.fma} where the vector loop fuses).
 * Reductions keep 16 partial sums (element {@code i} into partial {@code i mod 16}) in
 * {@link Lanes#ACCUMULATORS} vectors, store them into this thread's 16 partials ({@link VecMath#partials}),
 * combine them with {@link VecMath#tree16}, then add the {@code n mod 16} tail in order; the scalar specification
 * keeps the same 16 partials in an array and combines them with the same tree, so scalar, 128-, 256- and 512-bit
 * runs agree exactly.
 *
 * <p><b>exp.</b> {@link #expShifted} evaluates exp with our own polynomial from IEEE-exact operations
 * ({@link VecMath#exp} is its scalar form). The Vector API's {@code lanewise(EXP)} runs Intel SVML in C2-compiled
 * code but {@code Math.exp} in the interpreter; the two differ by an ulp on about 1 % of inputs.
 *
 * <p><b>No vector-valued helpers in hot loops.</b> A loop body that calls a method taking or returning vectors
 * is fast only if C2 inlines that method, which it refuses once the body has grown large (NodeCountInliningCutoff)
 * or the helper was compiled on its own first; then every vector is boxed. So each vector loop is written out, and
 * no primitive calls a vector-valued helper: a reduction's accumulators go to an array and a scalar tree (a
 * vector-valued {@code tree} helper here used to be 13 % of a ViT-S/16 A-CLIP step's samples, boxed).
 */
public final class Vec {
    private Vec() {}

    // ---------------------------------------------------------------------------------------------------------
    // add: out[o+i] = a[ao+i] + b[bo+i]

    public static void add(Lanes lanes, float[] out, int o, float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        if (!lanes.scalar()) {
            for (int bound = SPECIES.loopBound(n); i < bound; i += LENGTH) {
                FloatVector.fromArray(SPECIES, a, ao + i).add(FloatVector.fromArray(SPECIES, b, bo + i))
                        .intoArray(out, o + i);
            }
        }
        for (; i < n; i++) {
            out[o + i] = a[ao + i] + b[bo + i];
        }
    }

    public static void addScalar(float[] out, int o, float[] a, int ao, float[] b, int bo, int n) {
        add(Lanes.SCALAR, out, o, a, ao, b, bo, n);
    }

    // ---------------------------------------------------------------------------------------------------------
    // accumulate: dst[d+i] += src[s+i]

    public static void accumulate(Lanes lanes, float[] dst, int d, float[] src, int s, int n) {
        add(lanes, dst, d, dst, d, src, s, n);
    }

    public static void accumulateScalar(float[] dst, int d, float[] src, int s, int n) {
        add(Lanes.SCALAR, dst, d, dst, d, src, s, n);
    }

    // ---------------------------------------------------------------------------------------------------------
    // axpy: y[yo+i] = fma(alpha, x[xo+i], y[yo+i])   (one fused multiply-add per element)

    public static void axpy(Lanes lanes, float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        if (!lanes.scalar()) {
            FloatVector va = FloatVector.broadcast(SPECIES, alpha);
            for (int bound = SPECIES.loopBound(n); i < bound; i += LENGTH) {
                FloatVector.fromArray(SPECIES, x, xo + i).fma(va, FloatVector.fromArray(SPECIES, y, yo + i))
                        .intoArray(y, yo + i);
            }
        }
        for (; i < n; i++) {
            y[yo + i] = Math.fma(alpha, x[xo + i], y[yo + i]);
        }
    }

    public static void axpyScalar(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        axpy(Lanes.SCALAR, alpha, x, xo, y, yo, n);
    }

    // ---------------------------------------------------------------------------------------------------------
    // scale: y[yo+i] = alpha * x[xo+i]   (x and y may be the same row)

    public static void scale(Lanes lanes, float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        if (!lanes.scalar()) {
            for (int bound = SPECIES.loopBound(n); i < bound; i += LENGTH) {
                FloatVector.fromArray(SPECIES, x, xo + i).mul(alpha).intoArray(y, yo + i);
            }
        }
        for (; i < n; i++) {
            y[yo + i] = alpha * x[xo + i];
        }
    }

    public static void scaleScalar(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        scale(Lanes.SCALAR, alpha, x, xo, y, yo, n);
    }

    // ---------------------------------------------------------------------------------------------------------
    // divide: x[o+i] /= divisor   (a true division, not a multiplication by 1/divisor)

    public static void divide(Lanes lanes, float[] x, int o, int n, float divisor) {
        int i = 0;
        if (!lanes.scalar()) {
            for (int bound = SPECIES.loopBound(n); i < bound; i += LENGTH) {
                FloatVector.fromArray(SPECIES, x, o + i).div(divisor).intoArray(x, o + i);
            }
        }
        for (; i < n; i++) {
            x[o + i] /= divisor;
        }
    }

    public static void divideScalar(float[] x, int o, int n, float divisor) {
        divide(Lanes.SCALAR, x, o, n, divisor);
    }

    // ---------------------------------------------------------------------------------------------------------
    // combine: out[o+i] = a[ao+i] * wa + b[bo+i] * wb   (two rounded products, one rounded sum: never fused;
    // out may be a or b)

    public static void combine(Lanes lanes, float[] out, int o, float[] a, int ao, float wa, float[] b, int bo, float wb,
                               int n) {
        int i = 0;
        if (!lanes.scalar()) {
            for (int bound = SPECIES.loopBound(n); i < bound; i += LENGTH) {
                FloatVector.fromArray(SPECIES, a, ao + i).mul(wa).add(FloatVector.fromArray(SPECIES, b, bo + i).mul(wb))
                        .intoArray(out, o + i);
            }
        }
        for (; i < n; i++) {
            out[o + i] = a[ao + i] * wa + b[bo + i] * wb;
        }
    }

    public static void combineScalar(float[] out, int o, float[] a, int ao, float wa, float[] b, int bo, float wb,
                                     int n) {
        combine(Lanes.SCALAR, out, o, a, ao, wa, b, bo, wb, n);
    }

    // ---------------------------------------------------------------------------------------------------------
    // sum: x[o] + x[o+1] + ... + x[o+n-1] in the canonical order

    public static float sum(Lanes lanes, float[] x, int o, int n) {
        if (lanes.scalar()) {
            return sumScalar(x, o, n);
        }
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int bound = blocks16(n); i < bound; i += 16) {
            a0 = a0.add(FloatVector.fromArray(SPECIES, x, o + i));                     // p[i mod 16] += x[i]
            if (ACCUMULATORS > 1) {
                a1 = a1.add(FloatVector.fromArray(SPECIES, x, o + i + LENGTH));
            }
            if (ACCUMULATORS > 2) {
                a2 = a2.add(FloatVector.fromArray(SPECIES, x, o + i + 2 * LENGTH));
                a3 = a3.add(FloatVector.fromArray(SPECIES, x, o + i + 3 * LENGTH));
            }
        }
        float[] p = VecMath.partials(); // the 16 partials, combined by the scalar tree: no vector-valued call
        a0.intoArray(p, 0);
        if (ACCUMULATORS > 1) {
            a1.intoArray(p, LENGTH);
        }
        if (ACCUMULATORS > 2) {
            a2.intoArray(p, 2 * LENGTH);
            a3.intoArray(p, 3 * LENGTH);
        }
        float s = VecMath.tree16(p);
        for (; i < n; i++) {
            s += x[o + i];
        }
        return s;
    }

    public static float sumScalar(float[] x, int o, int n) {
        float[] p = new float[16];
        int i = 0;
        for (int bound = blocks16(n); i < bound; i += 16) {
            for (int j = 0; j < 16; j++) {
                p[j] += x[o + i + j];
            }
        }
        float s = VecMath.tree16(p);
        for (; i < n; i++) {
            s += x[o + i];
        }
        return s;
    }

    // ---------------------------------------------------------------------------------------------------------
    // dot: sum_i a[ao+i] * b[bo+i] in the canonical order, one fma per term

    public static float dot(Lanes lanes, float[] a, int ao, float[] b, int bo, int n) {
        if (lanes.scalar()) {
            return dotScalar(a, ao, b, bo, n);
        }
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int bound = blocks16(n); i < bound; i += 16) {
            // p[i mod 16] = fma(a[i], b[i], p[i mod 16])
            a0 = FloatVector.fromArray(SPECIES, a, ao + i).fma(FloatVector.fromArray(SPECIES, b, bo + i), a0);
            if (ACCUMULATORS > 1) {
                int k = i + LENGTH;
                a1 = FloatVector.fromArray(SPECIES, a, ao + k).fma(FloatVector.fromArray(SPECIES, b, bo + k), a1);
            }
            if (ACCUMULATORS > 2) {
                int k = i + 2 * LENGTH, l = i + 3 * LENGTH;
                a2 = FloatVector.fromArray(SPECIES, a, ao + k).fma(FloatVector.fromArray(SPECIES, b, bo + k), a2);
                a3 = FloatVector.fromArray(SPECIES, a, ao + l).fma(FloatVector.fromArray(SPECIES, b, bo + l), a3);
            }
        }
        float[] p = VecMath.partials(); // the 16 partials, combined by the scalar tree: no vector-valued call
        a0.intoArray(p, 0);
        if (ACCUMULATORS > 1) {
            a1.intoArray(p, LENGTH);
        }
        if (ACCUMULATORS > 2) {
            a2.intoArray(p, 2 * LENGTH);
            a3.intoArray(p, 3 * LENGTH);
        }
        float s = VecMath.tree16(p);
        for (; i < n; i++) {
            s = Math.fma(a[ao + i], b[bo + i], s);
        }
        return s;
    }

    public static float dotScalar(float[] a, int ao, float[] b, int bo, int n) {
        float[] p = new float[16];
        int i = 0;
        for (int bound = blocks16(n); i < bound; i += 16) {
            for (int j = 0; j < 16; j++) {
                p[j] = Math.fma(a[ao + i + j], b[bo + i + j], p[j]);
            }
        }
        float s = VecMath.tree16(p);
        for (; i < n; i++) {
            s = Math.fma(a[ao + i], b[bo + i], s);
        }
        return s;
    }

    // ---------------------------------------------------------------------------------------------------------
    // sumSquaredDeviations: sum_i (x[o+i] - m)^2 in the canonical order (a variance numerator; d = x - m rounded,
    // then fma(d, d, partial))

    public static float sumSquaredDeviations(Lanes lanes, float[] x, int o, int n, float m) {
        if (lanes.scalar()) {
            return sumSquaredDeviationsScalar(x, o, n, m);
        }
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int bound = blocks16(n); i < bound; i += 16) {
            FloatVector d0 = FloatVector.fromArray(SPECIES, x, o + i).sub(m);        // d = x[i] - m
            a0 = d0.fma(d0, a0);                                                         // p += d * d
            if (ACCUMULATORS > 1) {
                FloatVector d1 = FloatVector.fromArray(SPECIES, x, o + i + LENGTH).sub(m);
                a1 = d1.fma(d1, a1);
            }
            if (ACCUMULATORS > 2) {
                FloatVector d2 = FloatVector.fromArray(SPECIES, x, o + i + 2 * LENGTH).sub(m);
                FloatVector d3 = FloatVector.fromArray(SPECIES, x, o + i + 3 * LENGTH).sub(m);
                a2 = d2.fma(d2, a2);
                a3 = d3.fma(d3, a3);
            }
        }
        float[] p = VecMath.partials(); // the 16 partials, combined by the scalar tree: no vector-valued call
        a0.intoArray(p, 0);
        if (ACCUMULATORS > 1) {
            a1.intoArray(p, LENGTH);
        }
        if (ACCUMULATORS > 2) {
            a2.intoArray(p, 2 * LENGTH);
            a3.intoArray(p, 3 * LENGTH);
        }
        float s = VecMath.tree16(p);
        for (; i < n; i++) {
            float d = x[o + i] - m;
            s = Math.fma(d, d, s);
        }
        return s;
    }

    public static float sumSquaredDeviationsScalar(float[] x, int o, int n, float m) {
        float[] p = new float[16];
        int i = 0;
        for (int bound = blocks16(n); i < bound; i += 16) {
            for (int j = 0; j < 16; j++) {
                float d = x[o + i + j] - m;
                p[j] = Math.fma(d, d, p[j]);
            }
        }
        float s = VecMath.tree16(p);
        for (; i < n; i++) {
            float d = x[o + i] - m;
            s = Math.fma(d, d, s);
        }
        return s;
    }

    // ---------------------------------------------------------------------------------------------------------
    // max: max_i x[o+i]   (-inf for n = 0; Math.max semantics, so a NaN wins; exact, so any order gives the same
    // bits)

    public static float max(Lanes lanes, float[] x, int o, int n) {
        float m = Float.NEGATIVE_INFINITY;
        int i = 0;
        if (!lanes.scalar()) {
            FloatVector acc = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
            for (int bound = SPECIES.loopBound(n); i < bound; i += LENGTH) {
                acc = acc.max(FloatVector.fromArray(SPECIES, x, o + i));
            }
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) {
            m = Math.max(m, x[o + i]);
        }
        return m;
    }

    public static float maxScalar(float[] x, int o, int n) {
        return max(Lanes.SCALAR, x, o, n);
    }

    // ---------------------------------------------------------------------------------------------------------
    // firstNonFinite: the smallest i < n with x[o+i] NaN or infinite, or -1 (the numerical guard's scan; exact)

    public static int firstNonFinite(Lanes lanes, float[] x, int o, int n) {
        int i = 0;
        if (!lanes.scalar()) {
            for (int bound = SPECIES.loopBound(n); i < bound; i += LENGTH) {
                if (!FloatVector.fromArray(SPECIES, x, o + i).test(VectorOperators.IS_FINITE).allTrue()) {
                    break; // the scalar loop below finds which element, from this vector on
                }
            }
        }
        for (; i < n; i++) {
            if (!Float.isFinite(x[o + i])) {
                return i;
            }
        }
        return -1;
    }

    public static int firstNonFiniteScalar(float[] x, int o, int n) {
        return firstNonFinite(Lanes.SCALAR, x, o, n);
    }

    // ---------------------------------------------------------------------------------------------------------
    // expShifted: y[yo+i] = exp(x[xo+i] - shift) ({@link VecMath#exp}), returning their sum in the canonical order
    // (softmax numerators, and with shift 0 the exp of a row; x and y may be the same row)

    public static float expShifted(Lanes lanes, float[] x, int xo, float[] y, int yo, int n, float shift) {
        exp(lanes, x, xo, y, yo, n, shift);
        // a second pass over the (L1-resident) row: the sum in the canonical order
        return sum(lanes, y, yo, n);
    }

    /**
     * y[yo+i] = exp(x[xo+i] - shift) ({@link VecMath#exp}) without the sum: {@link #expShifted}'s first pass, for
     * callers that need only the values (GELU, QuickGELU).
     */
    public static void exp(Lanes lanes, float[] x, int xo, float[] y, int yo, int n, float shift) {
        int i = 0;
        if (!lanes.scalar()) {
            for (int bound = SPECIES.loopBound(n); i < bound; i += LENGTH) {
                // the steps of VecMath.exp, lane-wise
                FloatVector c = FloatVector.fromArray(SPECIES, x, xo + i).sub(shift).min(89f).max(-104f);
                FloatVector k = c.fma(FloatVector.broadcast(SPECIES, LOG2E), FloatVector.broadcast(SPECIES, ROUND));
                FloatVector m = k.sub(ROUND);
                FloatVector r = m.fma(FloatVector.broadcast(SPECIES, -LN2_HI), c);
                r = m.fma(FloatVector.broadcast(SPECIES, -LN2_LO), r);
                FloatVector p = r.fma(FloatVector.broadcast(SPECIES, P0), FloatVector.broadcast(SPECIES, P1));
                p = p.fma(r, FloatVector.broadcast(SPECIES, P2));
                p = p.fma(r, FloatVector.broadcast(SPECIES, P3));
                p = p.fma(r, FloatVector.broadcast(SPECIES, P4));
                p = p.fma(r, FloatVector.broadcast(SPECIES, P5));
                FloatVector e = p.fma(r.mul(r), r).add(1f);
                IntVector mi = k.reinterpretAsInts().sub(ROUND_BITS);
                IntVector m1 = mi.lanewise(VectorOperators.ASHR, 1), m2 = mi.sub(m1);
                e = e.mul(m1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                        .mul(m2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                e.intoArray(y, yo + i);
            }
        }
        for (; i < n; i++) {
            y[yo + i] = VecMath.exp(x[xo + i] - shift);
        }
    }

    public static float expShiftedScalar(float[] x, int xo, float[] y, int yo, int n, float shift) {
        return expShifted(Lanes.SCALAR, x, xo, y, yo, n, shift);
    }
}
