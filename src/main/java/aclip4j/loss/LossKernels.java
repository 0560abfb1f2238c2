package aclip4j.loss;

import aclip4j.kernel.Lanes;
import aclip4j.kernel.Vec;

/**
 * The row operations the §6 losses are built from: dot products, {@code y += a*x}, scaling, row max and the
 * shifted exponentials of a numerically stable log-softmax, plus the L2 normalisation every §6 loss starts with.
 *
 * <p>Each kernel has its plain scalar twin right below it, both from {@link Vec}; the twin is the specification.
 * A vector kernel loops to {@code loopBound(n)} with an accumulator register, reduces once at the end and finishes
 * the tail with the scalar loop, so it adds in a different order from its twin: the two agree within float
 * rounding, not bit for bit. With {@code Lanes.of(0)} every kernel is exactly its scalar twin.
 */
final class LossKernels {
    /** The floor of SPEC §6's {@code x / max(||x||, 1e-12)} (PyTorch's {@code F.normalize} eps, as float). */
    static final float NORM_EPS = 1e-12f;

    private LossKernels() {}

    // ---------------------------------------------------------------------------------------------------------
    // The primitives live in aclip4j.kernel.Vec, once per lane width (C2 needs the species as a constant).

    /** sum_i a[aOff+i] * b[bOff+i]. */
    static float dot(Lanes lanes, float[] a, int aOff, float[] b, int bOff, int n) {
        return Vec.dot(lanes, a, aOff, b, bOff, n);
    }

    static float dotScalar(float[] a, int aOff, float[] b, int bOff, int n) {
        return Vec.dotScalar(a, aOff, b, bOff, n);
    }

    /** y[yOff+i] += alpha * x[xOff+i]   (backward passes add into gradients, llm.c style). */
    static void axpy(Lanes lanes, float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        Vec.axpy(lanes, alpha, x, xOff, y, yOff, n);
    }

    static void axpyScalar(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        Vec.axpyScalar(alpha, x, xOff, y, yOff, n);
    }

    /** y[yOff+i] = alpha * x[xOff+i]. */
    static void scale(Lanes lanes, float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        Vec.scale(lanes, alpha, x, xOff, y, yOff, n);
    }

    static void scaleScalar(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        Vec.scaleScalar(alpha, x, xOff, y, yOff, n);
    }

    /** max_i x[off+i]  (n >= 1; the shift of a stable log-softmax). */
    static float max(Lanes lanes, float[] x, int off, int n) {
        return Vec.max(lanes, x, off, n);
    }

    static float maxScalar(float[] x, int off, int n) {
        return Vec.maxScalar(x, off, n);
    }

    /** sum_i exp(x[off+i] - shift); the vector path takes exp from {@link Vec#expShifted}, within 1 ulp of Math.exp. */
    static float sumExp(Lanes lanes, float[] x, int off, int n, float shift) {
        return Vec.expShifted(lanes, x, off, new float[n], 0, n, shift);
    }

    static float sumExpScalar(float[] x, int off, int n, float shift) {
        return Vec.expShiftedScalar(x, off, new float[n], 0, n, shift);
    }

    /** y[yOff+i] = exp(x[xOff+i] - shift)  (softmax probabilities when shift is the row's log-sum-exp). */
    static void expShifted(Lanes lanes, float[] x, int xOff, float[] y, int yOff, int n, float shift) {
        Vec.expShifted(lanes, x, xOff, y, yOff, n, shift);
    }

    static void expShiftedScalar(float[] x, int xOff, float[] y, int yOff, int n, float shift) {
        Vec.expShiftedScalar(x, xOff, y, yOff, n, shift);
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
