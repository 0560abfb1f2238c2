package aclip4j.loss;

import aclip4j.kernel.Lanes;
import aclip4j.kernel.Vec;

/**
 * The row operations the §6 losses are built from: dot products, {@code y += a*x}, scaling, row max and the
 * shifted exponentials of a numerically stable log-softmax, plus the L2 normalisation every §6 loss starts with.
 *
 * <p><b>Same bits at every lane width</b> (docs/SPEC.md §13). Every operation is one of {@link Vec}'s primitives,
 * each written once over {@link Lanes#SPECIES}, and its {@code *Scalar} twin right below it is the specification
 * with exactly the same float operations: row reductions ({@link #dot}, {@link #sumExp}) keep 16 interleaved
 * partial sums, combine them with the fixed halving tree and add the {@code n mod 16} tail in order (§13.2);
 * element-wise operations ({@link #axpy} with one fused multiply-add, {@link #scale}, {@link #expShifted} with the
 * project's own exp, {@code VecMath.exp}) do the same thing in the vector loop and the scalar tail (§13.1); the max
 * is exact. So {@code lanes.scalar()}, 128, 256 and 512 bits give identical results. The composite operations
 * below add only scalar steps on per-row values (a square root, a reciprocal, a log), identical for every width;
 * the logarithm is {@link StrictMath#log} (fdlibm) so that it does not depend on the JVM's intrinsics either.
 */
final class LossKernels {
    /** The floor of SPEC §6's {@code x / max(||x||, 1e-12)} (PyTorch's {@code F.normalize} eps, as float). */
    static final float NORM_EPS = 1e-12f;

    private LossKernels() {}

    // ---------------------------------------------------------------------------------------------------------
    // The primitives live in aclip4j.kernel.Vec (one vector loop over Lanes.SPECIES, a static final C2 folds).

    /** sum_i a[aOff+i] * b[bOff+i]: 16 partials {@code p[i mod 16] = fma(a_i, b_i, p)}, the tree, the tail by fma. */
    static float dot(Lanes lanes, float[] a, int aOff, float[] b, int bOff, int n) {
        return Vec.dot(lanes, a, aOff, b, bOff, n);
    }

    static float dotScalar(float[] a, int aOff, float[] b, int bOff, int n) {
        return Vec.dotScalar(a, aOff, b, bOff, n);
    }

    /** y[yOff+i] = fma(alpha, x[xOff+i], y[yOff+i])   (backward passes add into gradients, llm.c style). */
    static void axpy(Lanes lanes, float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        Vec.axpy(lanes, alpha, x, xOff, y, yOff, n);
    }

    static void axpyScalar(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        Vec.axpyScalar(alpha, x, xOff, y, yOff, n);
    }

    /** y[yOff+i] = alpha * x[xOff+i]   (one rounded product). */
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

    /**
     * sum_i exp(x[off+i] - shift): each {@code e_i = VecMath.exp(x_i - shift)} (one rounded subtraction, then the
     * polynomial, within 1 ulp of Math.exp), then {@code sum_i e_i} in the canonical order of {@link Vec#sum}.
     */
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

    /**
     * log(sum_i exp(x[off+i])), subtracting the row max first so no exponential overflows. x (n), n >= 1.
     * {@code m = max_i x_i}; {@code s = sumExp(x, m)}; {@code m + (float) StrictMath.log(s)} (the log in double,
     * rounded to float, then one float addition).
     */
    static float logSumExp(Lanes lanes, float[] x, int off, int n) {
        float m = max(lanes, x, off, n);
        return m + (float) StrictMath.log(sumExp(lanes, x, off, n, m));
    }

    /**
     * SPEC §6 normalisation forward: out (R,D) = inp / max(||inp||, 1e-12) row by row; norms (R) keeps the
     * unfloored norms for the backward pass. Per row: {@code ss = dot(x, x)} (§13.2), {@code n = (float) sqrt(ss)}
     * (correctly rounded), {@code inv = 1f / max(n, 1e-12f)}, then {@code y_i = inv * x_i} (a multiplication by the
     * rounded reciprocal, not a division).
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
     * Per row above the floor: {@code inv = 1f / n}, {@code ydy = dot(y, dy)} (§13.2), then two element-wise
     * passes {@code dx_i = fma(inv, dy_i, dx_i)} and {@code dx_i = fma(-ydy * inv, y_i, dx_i)} (the scalar
     * {@code -ydy * inv} rounded once); at or below it {@code dx_i = fma(1e12f, dy_i, dx_i)} with
     * {@code 1e12f = 1f / 1e-12f} rounded.
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
