package aclip4j.kernel;

import static aclip4j.kernel.Lanes.LENGTH;
import static aclip4j.kernel.Lanes.SPECIES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The exact (erf) GELU of timm's ViT MLP (SPEC §1.4): {@code gelu(x) = x Phi(x)}, {@code Phi(x) = erfc(-x/sqrt 2)/2}.
 * Shapes: inp, out, dinp, dout (N).
 *
 * <p>erfc is {@link Erf}'s fit evaluated in float, {@code erfc(z) = t exp(a)} with {@code t = 1/(1 + z/2)},
 * {@code a = -z^2 + P(t)} (P by fma Horner) and {@link VecMath#exp}, all IEEE-exact operations. The scalar loops
 * ({@link #cdf}, {@link #derivative}) are the specification; following docs/SPEC.md §13 the vector code applies the
 * same operations to every lane (fma where the scalar calls {@code Math.fma}), so every lane width gives the bits of
 * the specification.
 *
 * <p>The vector code runs three passes over blocks of {@value #BLOCK} floats: (1) t, a (and {@code -x^2/2} for the
 * density), (2) their exp by {@link Vec#exp}, (3) the result. Passes rather than one loop because C2 will not
 * reliably inline an exp into a loop body this large (see {@link Vec}); storing t and a between passes does not
 * change their values. The elements after the last whole vector take the scalar specification.
 */
public final class Gelu {
    private Gelu() {}

    private static final float INV_SQRT2 = (float) (1.0 / Math.sqrt(2.0));
    private static final float INV_SQRT_2PI = (float) (1.0 / Math.sqrt(2.0 * Math.PI));
    /** Erf's coefficients of P, rounded to float. */
    private static final float C0 = (float) Erf.C0, C1 = (float) Erf.C1, C2 = (float) Erf.C2, C3 = (float) Erf.C3,
            C4 = (float) Erf.C4, C5 = (float) Erf.C5, C6 = (float) Erf.C6, C7 = (float) Erf.C7, C8 = (float) Erf.C8,
            C9 = (float) Erf.C9;
    /** Floats per pass: the block's x, t, a (and density) stay in L1. A multiple of every lane count. */
    static final int BLOCK = 512;
    /** Floats per {@link Parallel} task: whole blocks, so a task's passes are the serial loop's. */
    static final int CHUNK = 32 * BLOCK;
    /** Each thread's t, e, g block buffers. */
    private static final ThreadLocal<float[][]> SCRATCH =
            ThreadLocal.withInitial(() -> new float[][] {new float[BLOCK], new float[BLOCK], new float[BLOCK]});

    /** out (N) = x Phi(x). */
    public static void geluForward(Lanes lanes, float[] out, float[] inp, int N) {
        long t0 = KernelTimes.start();
        int vectorEnd = lanes.loopBound(N); // 0 for the scalar specification
        if (vectorEnd > 0) { // every element on its own: chunks on any thread give the same bits
            Parallel.forRanges(vectorEnd, CHUNK, (from, end) -> {
                float[][] s = SCRATCH.get();
                float[] t = s[0], e = s[1];
                for (int i0 = from; i0 < end; i0 += BLOCK) {
                    int n = Math.min(BLOCK, end - i0);
                    terms(inp, i0, t, e, null, n);
                    Vec.exp(lanes, e, 0, e, 0, n, 0f);                // e = exp(a): erfc(|x|/sqrt 2) = t e
                    forwardPass(out, inp, i0, t, e, n);
                }
            });
        }
        for (int i = vectorEnd; i < N; i++) {
            out[i] = inp[i] * cdf(inp[i]);
        }
        KernelTimes.stop(KernelTimes.Family.ACTIVATION, t0);
    }

    /** The specification of {@link #geluForward}. */
    public static void geluForwardScalar(float[] out, float[] inp, int N) {
        geluForward(Lanes.SCALAR, out, inp, N);
    }

    /** dinp (N) = fma(dout, Phi(x) + x phi(x), dinp), phi the standard normal density. */
    public static void geluBackward(Lanes lanes, float[] dinp, float[] inp, float[] dout, int N) {
        long t0 = KernelTimes.start();
        int vectorEnd = lanes.loopBound(N); // 0 for the scalar specification
        if (vectorEnd > 0) { // every element on its own: chunks on any thread give the same bits
            Parallel.forRanges(vectorEnd, CHUNK, (from, end) -> {
                float[][] s = SCRATCH.get();
                float[] t = s[0], e = s[1], g = s[2];
                for (int i0 = from; i0 < end; i0 += BLOCK) {
                    int n = Math.min(BLOCK, end - i0);
                    terms(inp, i0, t, e, g, n);
                    Vec.exp(lanes, e, 0, e, 0, n, 0f);                // e = exp(a)
                    Vec.exp(lanes, g, 0, g, 0, n, 0f);                // g = exp(-x^2/2)
                    backwardPass(dinp, inp, dout, i0, t, e, g, n);
                }
            });
        }
        for (int i = vectorEnd; i < N; i++) {
            dinp[i] = Math.fma(dout[i], derivative(inp[i]), dinp[i]);
        }
        KernelTimes.stop(KernelTimes.Family.ACTIVATION, t0);
    }

    /** The specification of {@link #geluBackward}. */
    public static void geluBackwardScalar(float[] dinp, float[] inp, float[] dout, int N) {
        geluBackward(Lanes.SCALAR, dinp, inp, dout, N);
    }

    // ---------------------------------------------------------------------------------------------------------
    // The specification, per element.

    /** Phi(x) = erfc(-x / sqrt 2) / 2, from erfc(z) = t exp(a) at z = |x| / sqrt 2 and erfc(-z) = 2 - erfc(z). */
    static float cdf(float x) {
        float z = Math.abs(x) * INV_SQRT2;
        float t = 1f / Math.fma(z, 0.5f, 1f);
        float half = t * VecMath.exp(exponent(z, t)) * 0.5f;                   // erfc(z) / 2
        return x > 0f ? 1f - half : half;
    }

    /** a = -z^2 + P(t), P by Horner with one fma per coefficient (Erf's order). */
    static float exponent(float z, float t) {
        float p = C9;
        p = Math.fma(p, t, C8);
        p = Math.fma(p, t, C7);
        p = Math.fma(p, t, C6);
        p = Math.fma(p, t, C5);
        p = Math.fma(p, t, C4);
        p = Math.fma(p, t, C3);
        p = Math.fma(p, t, C2);
        p = Math.fma(p, t, C1);
        p = Math.fma(p, t, C0);
        return -(z * z) + p;
    }

    /** d gelu / dx = Phi(x) + x phi(x) = fma(x, exp(-x^2/2) / sqrt(2 pi), Phi(x)). */
    static float derivative(float x) {
        float density = VecMath.exp(x * x * -0.5f) * INV_SQRT_2PI;
        return Math.fma(x, density, cdf(x));
    }

    // ---------------------------------------------------------------------------------------------------------
    // The vector passes; n is a whole number of vectors, off the block's first element.

    /** Pass 1 on x = inp[off..off+n): t, a of erfc(|x|/sqrt 2) = t exp(a), and g = -x^2/2 when g is not null. */
    private static void terms(float[] inp, int off, float[] t, float[] a, float[] g, int n) {
        for (int i = 0; i < n; i += LENGTH) {
            FloatVector x = FloatVector.fromArray(SPECIES, inp, off + i);
            FloatVector z = x.abs().mul(INV_SQRT2);                                   // z = |x| / sqrt 2
            FloatVector ti = FloatVector.broadcast(SPECIES, 1f).div(z.fma(0.5f, 1f)); // t = 1 / fma(z, 0.5, 1)
            FloatVector p = FloatVector.broadcast(SPECIES, C9);                       // p = fma(p, t, C_k), k = 8..0
            p = p.fma(ti, FloatVector.broadcast(SPECIES, C8));
            p = p.fma(ti, FloatVector.broadcast(SPECIES, C7));
            p = p.fma(ti, FloatVector.broadcast(SPECIES, C6));
            p = p.fma(ti, FloatVector.broadcast(SPECIES, C5));
            p = p.fma(ti, FloatVector.broadcast(SPECIES, C4));
            p = p.fma(ti, FloatVector.broadcast(SPECIES, C3));
            p = p.fma(ti, FloatVector.broadcast(SPECIES, C2));
            p = p.fma(ti, FloatVector.broadcast(SPECIES, C1));
            p = p.fma(ti, FloatVector.broadcast(SPECIES, C0));
            ti.intoArray(t, i);
            z.mul(z).neg().add(p).intoArray(a, i);                                    // a = -(z * z) + p
            if (g != null) {
                x.mul(x).mul(-0.5f).intoArray(g, i);                                  // g = x * x * -0.5
            }
        }
    }

    /** Pass 3 of the forward, e = exp(a): out = x Phi(x). */
    private static void forwardPass(float[] out, float[] inp, int off, float[] t, float[] e, int n) {
        for (int i = 0; i < n; i += LENGTH) {
            FloatVector x = FloatVector.fromArray(SPECIES, inp, off + i);
            // half = t * e * 0.5; Phi = x > 0 ? 1 - half : half
            FloatVector half = FloatVector.fromArray(SPECIES, t, i).mul(FloatVector.fromArray(SPECIES, e, i)).mul(0.5f);
            FloatVector phi = half.blend(FloatVector.broadcast(SPECIES, 1f).sub(half),
                    x.compare(VectorOperators.GT, 0f));
            x.mul(phi).intoArray(out, off + i);                                       // out = x * Phi
        }
    }

    /** Pass 3 of the backward, e = exp(a), g = exp(-x^2/2): dinp = fma(dout, fma(x, g / sqrt(2 pi), Phi), dinp). */
    private static void backwardPass(float[] dinp, float[] inp, float[] dout, int off, float[] t, float[] e,
                                     float[] g, int n) {
        for (int i = 0; i < n; i += LENGTH) {
            FloatVector x = FloatVector.fromArray(SPECIES, inp, off + i);
            // half = t * e * 0.5; Phi = x > 0 ? 1 - half : half
            FloatVector half = FloatVector.fromArray(SPECIES, t, i).mul(FloatVector.fromArray(SPECIES, e, i)).mul(0.5f);
            FloatVector phi = half.blend(FloatVector.broadcast(SPECIES, 1f).sub(half),
                    x.compare(VectorOperators.GT, 0f));
            FloatVector density = FloatVector.fromArray(SPECIES, g, i).mul(INV_SQRT_2PI); // exp(-x^2/2) / sqrt(2 pi)
            FloatVector local = x.fma(density, phi);                                  // fma(x, density, Phi)
            FloatVector.fromArray(SPECIES, dout, off + i).fma(local, FloatVector.fromArray(SPECIES, dinp, off + i))
                    .intoArray(dinp, off + i);                                        // dinp = fma(dout, local, dinp)
        }
    }
}
