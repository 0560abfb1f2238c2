package aclip4j.loss;

import aclip4j.kernel.Lanes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The row operations the §6 losses are built from: dot products, {@code y += a*x}, scaling, row max and the
 * shifted exponentials of a numerically stable log-softmax, plus the L2 normalisation every §6 loss starts with.
 *
 * <p>Each Vector API kernel has its plain scalar twin right below it; the twin is the specification. A vector
 * kernel loops to {@code loopBound(n)} with an accumulator register, reduces once at the end and finishes the
 * tail with the scalar loop, so it adds in a different order from its twin: the two agree within float rounding,
 * not bit for bit. With {@code Lanes.of(0)} every kernel is exactly its scalar twin.
 */
final class LossKernels {
    /** The floor of SPEC §6's {@code x / max(||x||, 1e-12)} (PyTorch's {@code F.normalize} eps, as float). */
    static final float NORM_EPS = 1e-12f;

    private LossKernels() {}

    // ---------------------------------------------------------------------------------------------------------
    // dot: sum_i a[aOff+i] * b[bOff+i]

    static float dot(Lanes lanes, float[] a, int aOff, float[] b, int bOff, int n) {
        if (lanes.scalar()) {
            return dotScalar(a, aOff, b, bOff, n);
        }
        VectorSpecies<Float> sp = lanes.species();
        int bound = lanes.loopBound(n);
        FloatVector acc = FloatVector.zero(sp);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector va = FloatVector.fromArray(sp, a, aOff + i);
            FloatVector vb = FloatVector.fromArray(sp, b, bOff + i);
            acc = va.fma(vb, acc); // acc[l] += a[i+l] * b[i+l]
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (int i = bound; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    static float dotScalar(float[] a, int aOff, float[] b, int bOff, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    // ---------------------------------------------------------------------------------------------------------
    // axpy: y[yOff+i] += alpha * x[xOff+i]   (backward passes add into gradients, llm.c style)

    static void axpy(Lanes lanes, float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        if (lanes.scalar()) {
            axpyScalar(alpha, x, xOff, y, yOff, n);
            return;
        }
        VectorSpecies<Float> sp = lanes.species();
        int bound = lanes.loopBound(n);
        FloatVector va = FloatVector.broadcast(sp, alpha);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector vx = FloatVector.fromArray(sp, x, xOff + i);
            FloatVector vy = FloatVector.fromArray(sp, y, yOff + i);
            vx.fma(va, vy).intoArray(y, yOff + i); // y[i+l] = x[i+l] * alpha + y[i+l]
        }
        for (int i = bound; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    static void axpyScalar(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // scale: y[yOff+i] = alpha * x[xOff+i]

    static void scale(Lanes lanes, float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        if (lanes.scalar()) {
            scaleScalar(alpha, x, xOff, y, yOff, n);
            return;
        }
        VectorSpecies<Float> sp = lanes.species();
        int bound = lanes.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector.fromArray(sp, x, xOff + i).mul(alpha).intoArray(y, yOff + i); // y[i+l] = alpha * x[i+l]
        }
        for (int i = bound; i < n; i++) {
            y[yOff + i] = alpha * x[xOff + i];
        }
    }

    static void scaleScalar(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = alpha * x[xOff + i];
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // max: max_i x[off+i]  (n >= 1; the shift of a stable log-softmax)

    static float max(Lanes lanes, float[] x, int off, int n) {
        if (lanes.scalar()) {
            return maxScalar(x, off, n);
        }
        VectorSpecies<Float> sp = lanes.species();
        int bound = lanes.loopBound(n);
        float m = Float.NEGATIVE_INFINITY;
        if (bound > 0) {
            FloatVector acc = FloatVector.broadcast(sp, Float.NEGATIVE_INFINITY);
            for (int i = 0; i < bound; i += sp.length()) {
                acc = acc.max(FloatVector.fromArray(sp, x, off + i)); // acc[l] = max(acc[l], x[i+l])
            }
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (int i = bound; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        return m;
    }

    static float maxScalar(float[] x, int off, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        return m;
    }

    // ---------------------------------------------------------------------------------------------------------
    // sumExp: sum_i exp(x[off+i] - shift)

    static float sumExp(Lanes lanes, float[] x, int off, int n, float shift) {
        if (lanes.scalar()) {
            return sumExpScalar(x, off, n, shift);
        }
        VectorSpecies<Float> sp = lanes.species();
        int bound = lanes.loopBound(n);
        FloatVector acc = FloatVector.zero(sp);
        for (int i = 0; i < bound; i += sp.length()) {
            // acc[l] += exp(x[i+l] - shift)
            acc = acc.add(FloatVector.fromArray(sp, x, off + i).sub(shift).lanewise(VectorOperators.EXP));
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (int i = bound; i < n; i++) {
            sum += (float) Math.exp(x[off + i] - shift);
        }
        return sum;
    }

    static float sumExpScalar(float[] x, int off, int n, float shift) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += (float) Math.exp(x[off + i] - shift);
        }
        return sum;
    }

    // ---------------------------------------------------------------------------------------------------------
    // expShifted: y[yOff+i] = exp(x[xOff+i] - shift)  (softmax probabilities when shift is the row's log-sum-exp)

    static void expShifted(Lanes lanes, float[] x, int xOff, float[] y, int yOff, int n, float shift) {
        if (lanes.scalar()) {
            expShiftedScalar(x, xOff, y, yOff, n, shift);
            return;
        }
        VectorSpecies<Float> sp = lanes.species();
        int bound = lanes.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            // y[i+l] = exp(x[i+l] - shift)
            FloatVector.fromArray(sp, x, xOff + i).sub(shift).lanewise(VectorOperators.EXP).intoArray(y, yOff + i);
        }
        for (int i = bound; i < n; i++) {
            y[yOff + i] = (float) Math.exp(x[xOff + i] - shift);
        }
    }

    static void expShiftedScalar(float[] x, int xOff, float[] y, int yOff, int n, float shift) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = (float) Math.exp(x[xOff + i] - shift);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Composite row operations (built from the kernels above, so they need no twin of their own).

    /** log(sum_i exp(x[off+i])), subtracting the row max first so no exponential overflows. x (n), n >= 1. */
    static float logSumExp(Lanes lanes, float[] x, int off, int n) {
        float m = max(lanes, x, off, n);
        return m + (float) Math.log(sumExp(lanes, x, off, n, m));
    }

    /**
     * SPEC §6 normalisation forward: out (R,D) = inp / max(||inp||, 1e-12) row by row; norms (R) keeps the
     * unfloored norms for the backward pass.
     */
    static void l2NormalizeForward(Lanes lanes, float[] out, float[] norms, float[] inp, int R, int D) {
        for (int r = 0; r < R; r++) {
            float norm = (float) Math.sqrt(dot(lanes, inp, r * D, inp, r * D, D));
            norms[r] = norm;
            scale(lanes, 1f / Math.max(norm, NORM_EPS), inp, r * D, out, r * D, D);
        }
    }

    /**
     * SPEC §6 normalisation backward, adding into dinp (R,D), given dout (R,D), the forward's out (R,D) and norms (R).
     * With {@code y = x / n}: above the floor {@code dx = (dy - y (y . dy)) / n}; at or below it the denominator
     * is the constant 1e-12, so {@code dx = dy / 1e-12}. The comparison matches PyTorch's
     * {@code clamp_min(norm, eps)}, whose gradient flows through the norm when {@code norm >= eps}.
     */
    static void l2NormalizeBackward(Lanes lanes, float[] dinp, float[] dout, float[] out, float[] norms, int R, int D) {
        for (int r = 0; r < R; r++) {
            float norm = norms[r];
            if (norm >= NORM_EPS) {
                float inv = 1f / norm;
                float ydy = dot(lanes, out, r * D, dout, r * D, D);
                axpy(lanes, inv, dout, r * D, dinp, r * D, D);          // dx += dy / n
                axpy(lanes, -ydy * inv, out, r * D, dinp, r * D, D);    // dx -= y (y . dy) / n
            } else {
                axpy(lanes, 1f / NORM_EPS, dout, r * D, dinp, r * D, D);
            }
        }
    }
}
