package aclip4j.kernel;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.MAX;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The row primitives the Vector API kernels are built from (dot products, sums, {@code y += a*x}, ...), each with
 * its scalar loop as the specification. Shapes: {@code n} floats from each offset.
 *
 * <p><b>Why every primitive exists once per width.</b> C2 turns Vector API calls into single instructions only
 * when the species is a compile-time constant; with a species read from a {@link Lanes} object every vector is a
 * heap object and every operation a Java loop over lanes ({@code FloatSpecies.rvOp}), 20x slower than the scalar
 * loop. So each primitive dispatches on {@link Lanes#bits()} to a private copy whose loop names
 * {@code FloatVector.SPECIES_512}, {@code _256} or {@code _128}; the copies differ only in that constant (read
 * the 512 one). The loop must sit in the copy itself: a shared method taking the species would be compiled on its
 * own (its loop is hot) with the species unknown. 64-bit lanes (two floats) take the scalar loop.
 *
 * <p><b>Summation order.</b> A reduction accumulates lane-wise to {@code loopBound(n)}, reduces the lanes once
 * ({@link VecMath#sumLanes}, lane 0 first) and adds the tail left to right; the scalar twin adds left to right. The two
 * agree within rounding, and each gives the same bits on every run.
 *
 * <p><b>exp.</b> {@link #expShifted} evaluates exp with our own polynomial from IEEE-exact operations. The Vector
 * API's {@code lanewise(EXP)} runs Intel SVML in C2-compiled code but {@code Math.exp} in the interpreter; the two
 * differ by an ulp on about 1 % of inputs, so a kernel using it would give different bits depending on when the
 * JIT compiled it.
 *
 * <p><b>No vector-valued helpers in hot loops.</b> A loop body that calls a method taking or returning vectors
 * is fast only if C2 inlines that method, which it refuses once the body has grown large (NodeCountInliningCutoff)
 * or the helper was compiled on its own first; then every vector is boxed and the kernel runs several times
 * slower, depending on compilation order. So kernels with heavy element-wise math (GELU's erfc and exp) run as
 * short passes over L1-sized blocks, each pass a self-contained loop.
 */
public final class Vec {
    private Vec() {}

    /** True for the widths whose kernels take the scalar loops: scalar, and 64 bits (two floats gain nothing). */
    public static boolean scalarLoops(Lanes lanes) {
        return lanes.bits() < 128;
    }

    // ---------------------------------------------------------------------------------------------------------
    // add: out[o+i] = a[ao+i] + b[bo+i]

    public static void add(Lanes lanes, float[] out, int o, float[] a, int ao, float[] b, int bo, int n) {
        switch (lanes.bits()) {
            case 512 -> add512(out, o, a, ao, b, bo, n);
            case 256 -> add256(out, o, a, ao, b, bo, n);
            case 128 -> add128(out, o, a, ao, b, bo, n);
            default -> addScalar(out, o, a, ao, b, bo, n);
        }
    }

    public static void addScalar(float[] out, int o, float[] a, int ao, float[] b, int bo, int n) {
        addTail(out, o, a, ao, b, bo, 0, n);
    }

    private static void addTail(float[] out, int o, float[] a, int ao, float[] b, int bo, int from, int n) {
        for (int i = from; i < n; i++) {
            out[o + i] = a[ao + i] + b[bo + i];
        }
    }

    private static void add512(float[] out, int o, float[] a, int ao, float[] b, int bo, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, b, bo + i)).intoArray(out, o + i);
        }
        addTail(out, o, a, ao, b, bo, i, n);
    }

    private static void add256(float[] out, int o, float[] a, int ao, float[] b, int bo, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, b, bo + i)).intoArray(out, o + i);
        }
        addTail(out, o, a, ao, b, bo, i, n);
    }

    private static void add128(float[] out, int o, float[] a, int ao, float[] b, int bo, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, b, bo + i)).intoArray(out, o + i);
        }
        addTail(out, o, a, ao, b, bo, i, n);
    }

    // ---------------------------------------------------------------------------------------------------------
    // accumulate: dst[d+i] += src[s+i]

    public static void accumulate(Lanes lanes, float[] dst, int d, float[] src, int s, int n) {
        add(lanes, dst, d, dst, d, src, s, n);
    }

    public static void accumulateScalar(float[] dst, int d, float[] src, int s, int n) {
        addScalar(dst, d, dst, d, src, s, n);
    }

    // ---------------------------------------------------------------------------------------------------------
    // axpy: y[yo+i] += alpha * x[xo+i]   (one fma per element in the vector loop)

    public static void axpy(Lanes lanes, float alpha, float[] x, int xo, float[] y, int yo, int n) {
        switch (lanes.bits()) {
            case 512 -> axpy512(alpha, x, xo, y, yo, n);
            case 256 -> axpy256(alpha, x, xo, y, yo, n);
            case 128 -> axpy128(alpha, x, xo, y, yo, n);
            default -> axpyScalar(alpha, x, xo, y, yo, n);
        }
    }

    public static void axpyScalar(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        axpyTail(alpha, x, xo, y, yo, 0, n);
    }

    private static void axpyTail(float alpha, float[] x, int xo, float[] y, int yo, int from, int n) {
        for (int i = from; i < n; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }

    private static void axpy512(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        FloatVector va = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xo + i).fma(va, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        axpyTail(alpha, x, xo, y, yo, i, n);
    }

    private static void axpy256(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        FloatVector va = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xo + i).fma(va, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        axpyTail(alpha, x, xo, y, yo, i, n);
    }

    private static void axpy128(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        FloatVector va = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xo + i).fma(va, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        axpyTail(alpha, x, xo, y, yo, i, n);
    }

    // ---------------------------------------------------------------------------------------------------------
    // scale: y[yo+i] = alpha * x[xo+i]   (x and y may be the same row)

    public static void scale(Lanes lanes, float alpha, float[] x, int xo, float[] y, int yo, int n) {
        switch (lanes.bits()) {
            case 512 -> scale512(alpha, x, xo, y, yo, n);
            case 256 -> scale256(alpha, x, xo, y, yo, n);
            case 128 -> scale128(alpha, x, xo, y, yo, n);
            default -> scaleScalar(alpha, x, xo, y, yo, n);
        }
    }

    public static void scaleScalar(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        scaleTail(alpha, x, xo, y, yo, 0, n);
    }

    private static void scaleTail(float alpha, float[] x, int xo, float[] y, int yo, int from, int n) {
        for (int i = from; i < n; i++) {
            y[yo + i] = alpha * x[xo + i];
        }
    }

    private static void scale512(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xo + i).mul(alpha).intoArray(y, yo + i);
        }
        scaleTail(alpha, x, xo, y, yo, i, n);
    }

    private static void scale256(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xo + i).mul(alpha).intoArray(y, yo + i);
        }
        scaleTail(alpha, x, xo, y, yo, i, n);
    }

    private static void scale128(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xo + i).mul(alpha).intoArray(y, yo + i);
        }
        scaleTail(alpha, x, xo, y, yo, i, n);
    }

    // ---------------------------------------------------------------------------------------------------------
    // divide: x[o+i] /= divisor   (a true division, not a multiplication by 1/divisor)

    public static void divide(Lanes lanes, float[] x, int o, int n, float divisor) {
        switch (lanes.bits()) {
            case 512 -> divide512(x, o, n, divisor);
            case 256 -> divide256(x, o, n, divisor);
            case 128 -> divide128(x, o, n, divisor);
            default -> divideScalar(x, o, n, divisor);
        }
    }

    public static void divideScalar(float[] x, int o, int n, float divisor) {
        divideTail(x, o, 0, n, divisor);
    }

    private static void divideTail(float[] x, int o, int from, int n, float divisor) {
        for (int i = from; i < n; i++) {
            x[o + i] /= divisor;
        }
    }

    private static void divide512(float[] x, int o, int n, float divisor) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, o + i).div(divisor).intoArray(x, o + i);
        }
        divideTail(x, o, i, n, divisor);
    }

    private static void divide256(float[] x, int o, int n, float divisor) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, o + i).div(divisor).intoArray(x, o + i);
        }
        divideTail(x, o, i, n, divisor);
    }

    private static void divide128(float[] x, int o, int n, float divisor) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, o + i).div(divisor).intoArray(x, o + i);
        }
        divideTail(x, o, i, n, divisor);
    }

    // ---------------------------------------------------------------------------------------------------------
    // combine: out[o+i] = a[ao+i] * wa + b[bo+i] * wb   (two rounded products, one rounded sum: never fused,
    // so every width gives the scalar bits; out may be a or b)

    public static void combine(Lanes lanes, float[] out, int o, float[] a, int ao, float wa, float[] b, int bo, float wb,
                               int n) {
        switch (lanes.bits()) {
            case 512 -> combine512(out, o, a, ao, wa, b, bo, wb, n);
            case 256 -> combine256(out, o, a, ao, wa, b, bo, wb, n);
            case 128 -> combine128(out, o, a, ao, wa, b, bo, wb, n);
            default -> combineScalar(out, o, a, ao, wa, b, bo, wb, n);
        }
    }

    public static void combineScalar(float[] out, int o, float[] a, int ao, float wa, float[] b, int bo, float wb,
                                     int n) {
        combineTail(out, o, a, ao, wa, b, bo, wb, 0, n);
    }

    private static void combineTail(float[] out, int o, float[] a, int ao, float wa, float[] b, int bo, float wb,
                                    int from, int n) {
        for (int i = from; i < n; i++) {
            out[o + i] = a[ao + i] * wa + b[bo + i] * wb;
        }
    }

    private static void combine512(float[] out, int o, float[] a, int ao, float wa, float[] b, int bo, float wb, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, a, ao + i).mul(wa).add(FloatVector.fromArray(S, b, bo + i).mul(wb))
                    .intoArray(out, o + i);
        }
        combineTail(out, o, a, ao, wa, b, bo, wb, i, n);
    }

    private static void combine256(float[] out, int o, float[] a, int ao, float wa, float[] b, int bo, float wb, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, a, ao + i).mul(wa).add(FloatVector.fromArray(S, b, bo + i).mul(wb))
                    .intoArray(out, o + i);
        }
        combineTail(out, o, a, ao, wa, b, bo, wb, i, n);
    }

    private static void combine128(float[] out, int o, float[] a, int ao, float wa, float[] b, int bo, float wb, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, a, ao + i).mul(wa).add(FloatVector.fromArray(S, b, bo + i).mul(wb))
                    .intoArray(out, o + i);
        }
        combineTail(out, o, a, ao, wa, b, bo, wb, i, n);
    }

    // ---------------------------------------------------------------------------------------------------------
    // sum: x[o] + x[o+1] + ... + x[o+n-1]

    public static float sum(Lanes lanes, float[] x, int o, int n) {
        return switch (lanes.bits()) {
            case 512 -> sum512(x, o, n);
            case 256 -> sum256(x, o, n);
            case 128 -> sum128(x, o, n);
            default -> sumScalar(x, o, n);
        };
    }

    public static float sumScalar(float[] x, int o, int n) {
        return sumTail(0f, x, o, 0, n);
    }

    private static float sumTail(float sum, float[] x, int o, int from, int n) {
        for (int i = from; i < n; i++) {
            sum += x[o + i];
        }
        return sum;
    }

    private static float sum512(float[] x, int o, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            acc = acc.add(FloatVector.fromArray(S, x, o + i));
        }
        return sumTail(VecMath.sumLanes(acc), x, o, i, n);
    }

    private static float sum256(float[] x, int o, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            acc = acc.add(FloatVector.fromArray(S, x, o + i));
        }
        return sumTail(VecMath.sumLanes(acc), x, o, i, n);
    }

    private static float sum128(float[] x, int o, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            acc = acc.add(FloatVector.fromArray(S, x, o + i));
        }
        return sumTail(VecMath.sumLanes(acc), x, o, i, n);
    }

    // ---------------------------------------------------------------------------------------------------------
    // dot: sum_i a[ao+i] * b[bo+i]   (fma into the accumulator in the vector loop)

    public static float dot(Lanes lanes, float[] a, int ao, float[] b, int bo, int n) {
        return switch (lanes.bits()) {
            case 512 -> dot512(a, ao, b, bo, n);
            case 256 -> dot256(a, ao, b, bo, n);
            case 128 -> dot128(a, ao, b, bo, n);
            default -> dotScalar(a, ao, b, bo, n);
        };
    }

    public static float dotScalar(float[] a, int ao, float[] b, int bo, int n) {
        return dotTail(0f, a, ao, b, bo, 0, n);
    }

    private static float dotTail(float sum, float[] a, int ao, float[] b, int bo, int from, int n) {
        for (int i = from; i < n; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }

    private static float dot512(float[] a, int ao, float[] b, int bo, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
        }
        return dotTail(VecMath.sumLanes(acc), a, ao, b, bo, i, n);
    }

    private static float dot256(float[] a, int ao, float[] b, int bo, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
        }
        return dotTail(VecMath.sumLanes(acc), a, ao, b, bo, i, n);
    }

    private static float dot128(float[] a, int ao, float[] b, int bo, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
        }
        return dotTail(VecMath.sumLanes(acc), a, ao, b, bo, i, n);
    }

    // ---------------------------------------------------------------------------------------------------------
    // sumSquaredDeviations: sum_i (x[o+i] - m)^2   (a variance numerator; fma in the vector loop)

    public static float sumSquaredDeviations(Lanes lanes, float[] x, int o, int n, float m) {
        return switch (lanes.bits()) {
            case 512 -> sumSquaredDeviations512(x, o, n, m);
            case 256 -> sumSquaredDeviations256(x, o, n, m);
            case 128 -> sumSquaredDeviations128(x, o, n, m);
            default -> sumSquaredDeviationsScalar(x, o, n, m);
        };
    }

    public static float sumSquaredDeviationsScalar(float[] x, int o, int n, float m) {
        return sumSquaredDeviationsTail(0f, x, o, 0, n, m);
    }

    private static float sumSquaredDeviationsTail(float sum, float[] x, int o, int from, int n, float m) {
        for (int i = from; i < n; i++) {
            float d = x[o + i] - m;
            sum += d * d;
        }
        return sum;
    }

    private static float sumSquaredDeviations512(float[] x, int o, int n, float m) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector d = FloatVector.fromArray(S, x, o + i).sub(m);
            acc = d.fma(d, acc);
        }
        return sumSquaredDeviationsTail(VecMath.sumLanes(acc), x, o, i, n, m);
    }

    private static float sumSquaredDeviations256(float[] x, int o, int n, float m) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector d = FloatVector.fromArray(S, x, o + i).sub(m);
            acc = d.fma(d, acc);
        }
        return sumSquaredDeviationsTail(VecMath.sumLanes(acc), x, o, i, n, m);
    }

    private static float sumSquaredDeviations128(float[] x, int o, int n, float m) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector d = FloatVector.fromArray(S, x, o + i).sub(m);
            acc = d.fma(d, acc);
        }
        return sumSquaredDeviationsTail(VecMath.sumLanes(acc), x, o, i, n, m);
    }

    // ---------------------------------------------------------------------------------------------------------
    // max: max_i x[o+i]   (-inf for n = 0; Math.max semantics, so a NaN wins)

    public static float max(Lanes lanes, float[] x, int o, int n) {
        return switch (lanes.bits()) {
            case 512 -> max512(x, o, n);
            case 256 -> max256(x, o, n);
            case 128 -> max128(x, o, n);
            default -> maxScalar(x, o, n);
        };
    }

    public static float maxScalar(float[] x, int o, int n) {
        return maxTail(Float.NEGATIVE_INFINITY, x, o, 0, n);
    }

    private static float maxTail(float m, float[] x, int o, int from, int n) {
        for (int i = from; i < n; i++) {
            m = Math.max(m, x[o + i]);
        }
        return m;
    }

    private static float max512(float[] x, int o, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            acc = acc.max(FloatVector.fromArray(S, x, o + i));
        }
        return maxTail(acc.reduceLanes(MAX), x, o, i, n);
    }

    private static float max256(float[] x, int o, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            acc = acc.max(FloatVector.fromArray(S, x, o + i));
        }
        return maxTail(acc.reduceLanes(MAX), x, o, i, n);
    }

    private static float max128(float[] x, int o, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            acc = acc.max(FloatVector.fromArray(S, x, o + i));
        }
        return maxTail(acc.reduceLanes(MAX), x, o, i, n);
    }

    // ---------------------------------------------------------------------------------------------------------
    // expShifted: y[yo+i] = exp(x[xo+i] - shift), returning their sum   (softmax numerators, and with shift 0 the
    // exp of a row; x and y may be the same row)

    public static float expShifted(Lanes lanes, float[] x, int xo, float[] y, int yo, int n, float shift) {
        return switch (lanes.bits()) {
            case 512 -> expShifted512(x, xo, y, yo, n, shift);
            case 256 -> expShifted256(x, xo, y, yo, n, shift);
            case 128 -> expShifted128(x, xo, y, yo, n, shift);
            default -> expShiftedScalar(x, xo, y, yo, n, shift);
        };
    }

    public static float expShiftedScalar(float[] x, int xo, float[] y, int yo, int n, float shift) {
        return expShiftedTail(0f, x, xo, y, yo, 0, n, shift);
    }

    private static float expShiftedTail(float sum, float[] x, int xo, float[] y, int yo, int from, int n, float shift) {
        for (int i = from; i < n; i++) {
            float e = (float) Math.exp(x[xo + i] - shift);
            y[yo + i] = e;
            sum += e;
        }
        return sum;
    }

    /*
     * The vector exp, within 1 ulp of (float) Math.exp (0 ulp for most inputs): exp(-inf) = 0, exp(+inf) = +inf,
     * NaN stays NaN, results below 2^-149 flush to 0 and above the float range go to +inf. Steps, per lane:
     *   c = clamp(x - shift, -104, 89)         beyond these exp is 0 / +inf anyway; keeps m in range
     *   m = round(c / ln 2)                    adding 1.5 * 2^23 rounds to an integer kept in the low mantissa bits
     *   r = c - m ln 2                         ln 2 in two parts (Cody-Waite): m * LN2_HI is exact; |r| <= ln(2)/2
     *   e = 1 + r + r^2 P(r)                   the Cephes expf polynomial
     *   e = e * 2^(m/2) * 2^(m - m/2)          two factors, so that denormal results and 2^128 work
     * Only IEEE-exact lane operations (fma, add, mul, min, max, integer ops): the same bits in the interpreter and
     * in compiled code, unlike lanewise(EXP) (see the class comment). The exp is written out in each copy, not
     * called: C2 does not reliably inline a method that takes and returns vectors, and a vector that leaves
     * compiled code becomes a heap object.
     */
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = 0x4B400000;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    private static float expShifted512(float[] x, int xo, float[] y, int yo, int n, float shift) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        FloatVector sum = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector c = FloatVector.fromArray(S, x, xo + i).sub(shift).min(89f).max(-104f);
            FloatVector k = c.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, ROUND));
            FloatVector m = k.sub(ROUND);
            FloatVector r = m.fma(FloatVector.broadcast(S, -LN2_HI), c);
            r = m.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector p = r.fma(FloatVector.broadcast(S, P0), FloatVector.broadcast(S, P1));
            p = p.fma(r, FloatVector.broadcast(S, P2));
            p = p.fma(r, FloatVector.broadcast(S, P3));
            p = p.fma(r, FloatVector.broadcast(S, P4));
            p = p.fma(r, FloatVector.broadcast(S, P5));
            FloatVector e = p.fma(r.mul(r), r).add(1f);
            IntVector mi = k.reinterpretAsInts().sub(ROUND_BITS);
            IntVector m1 = mi.lanewise(VectorOperators.ASHR, 1), m2 = mi.sub(m1);
            e = e.mul(m1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(m2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            e.intoArray(y, yo + i);
            sum = sum.add(e);
        }
        return expShiftedTail(VecMath.sumLanes(sum), x, xo, y, yo, i, n, shift);
    }

    private static float expShifted256(float[] x, int xo, float[] y, int yo, int n, float shift) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        FloatVector sum = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector c = FloatVector.fromArray(S, x, xo + i).sub(shift).min(89f).max(-104f);
            FloatVector k = c.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, ROUND));
            FloatVector m = k.sub(ROUND);
            FloatVector r = m.fma(FloatVector.broadcast(S, -LN2_HI), c);
            r = m.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector p = r.fma(FloatVector.broadcast(S, P0), FloatVector.broadcast(S, P1));
            p = p.fma(r, FloatVector.broadcast(S, P2));
            p = p.fma(r, FloatVector.broadcast(S, P3));
            p = p.fma(r, FloatVector.broadcast(S, P4));
            p = p.fma(r, FloatVector.broadcast(S, P5));
            FloatVector e = p.fma(r.mul(r), r).add(1f);
            IntVector mi = k.reinterpretAsInts().sub(ROUND_BITS);
            IntVector m1 = mi.lanewise(VectorOperators.ASHR, 1), m2 = mi.sub(m1);
            e = e.mul(m1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(m2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            e.intoArray(y, yo + i);
            sum = sum.add(e);
        }
        return expShiftedTail(VecMath.sumLanes(sum), x, xo, y, yo, i, n, shift);
    }

    private static float expShifted128(float[] x, int xo, float[] y, int yo, int n, float shift) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        FloatVector sum = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector c = FloatVector.fromArray(S, x, xo + i).sub(shift).min(89f).max(-104f);
            FloatVector k = c.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, ROUND));
            FloatVector m = k.sub(ROUND);
            FloatVector r = m.fma(FloatVector.broadcast(S, -LN2_HI), c);
            r = m.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector p = r.fma(FloatVector.broadcast(S, P0), FloatVector.broadcast(S, P1));
            p = p.fma(r, FloatVector.broadcast(S, P2));
            p = p.fma(r, FloatVector.broadcast(S, P3));
            p = p.fma(r, FloatVector.broadcast(S, P4));
            p = p.fma(r, FloatVector.broadcast(S, P5));
            FloatVector e = p.fma(r.mul(r), r).add(1f);
            IntVector mi = k.reinterpretAsInts().sub(ROUND_BITS);
            IntVector m1 = mi.lanewise(VectorOperators.ASHR, 1), m2 = mi.sub(m1);
            e = e.mul(m1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(m2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            e.intoArray(y, yo + i);
            sum = sum.add(e);
        }
        return expShiftedTail(VecMath.sumLanes(sum), x, xo, y, yo, i, n, shift);
    }
}
