package aclip4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The exact (erf) GELU of timm's ViT MLP (SPEC §1.4): {@code gelu(x) = x Phi(x)}, {@code Phi(x) = erfc(-x/sqrt 2)/2}.
 * Shapes: inp, out, dinp, dout (N). The scalar twin evaluates {@link Erf#erfc} in double; the vector one the same
 * formula in float, {@code erfc(z) = t exp(a)} with {@code t = 1/(1 + z/2)}, {@code a = -z^2 + P(t)}, in three
 * passes over blocks of {@value #BLOCK} floats: (1) t, a (and {@code -x^2/2} for the density), (2) their exp by
 * {@link Vec#expShifted}, (3) the result. Passes rather than one loop because C2 will not reliably inline an exp
 * into a loop body this large (see {@link Vec}); storing t and a between passes does not change their values.
 * Each vector loop exists once per width ({@code terms512}, ...; read the 512 copy): C2 needs the species as a
 * constant.
 */
public final class Gelu {
    private Gelu() {}

    private static final double INV_SQRT2 = 1.0 / Math.sqrt(2.0);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);
    /** Floats per pass: the block's x, t, a (and density) stay in L1. A multiple of every lane count. */
    static final int BLOCK = 512;

    /** out (N) = x Phi(x). */
    public static void geluForward(Lanes lanes, float[] out, float[] inp, int N) {
        if (Vec.scalarLoops(lanes)) {
            geluForwardScalar(out, inp, N);
            return;
        }
        float[] t = new float[BLOCK], e = new float[BLOCK];
        int vectorEnd = lanes.loopBound(N);
        for (int i0 = 0; i0 < vectorEnd; i0 += BLOCK) {
            int n = Math.min(BLOCK, vectorEnd - i0);
            terms(lanes, inp, i0, t, e, null, n);
            Vec.expShifted(lanes, e, 0, e, 0, n, 0f);                        // e = exp(a): erfc(|x|/sqrt 2) = t e
            switch (lanes.bits()) {
                case 512 -> forward512(out, inp, i0, t, e, n);
                case 256 -> forward256(out, inp, i0, t, e, n);
                case 128 -> forward128(out, inp, i0, t, e, n);
                default -> throw new IllegalStateException("no vector loop for " + lanes);
            }
        }
        forwardTail(out, inp, vectorEnd, N);
    }

    /** The specification of {@link #geluForward}. */
    public static void geluForwardScalar(float[] out, float[] inp, int N) {
        forwardTail(out, inp, 0, N);
    }

    private static void forwardTail(float[] out, float[] inp, int from, int N) {
        for (int i = from; i < N; i++) {
            out[i] = (float) (inp[i] * cdf(inp[i]));
        }
    }

    /** dinp (N) += dout * (Phi(x) + x phi(x)), phi the standard normal density. */
    public static void geluBackward(Lanes lanes, float[] dinp, float[] inp, float[] dout, int N) {
        if (Vec.scalarLoops(lanes)) {
            geluBackwardScalar(dinp, inp, dout, N);
            return;
        }
        float[] t = new float[BLOCK], e = new float[BLOCK], g = new float[BLOCK];
        int vectorEnd = lanes.loopBound(N);
        for (int i0 = 0; i0 < vectorEnd; i0 += BLOCK) {
            int n = Math.min(BLOCK, vectorEnd - i0);
            terms(lanes, inp, i0, t, e, g, n);
            Vec.expShifted(lanes, e, 0, e, 0, n, 0f);                        // e = exp(a)
            Vec.expShifted(lanes, g, 0, g, 0, n, 0f);                        // g = exp(-x^2/2)
            switch (lanes.bits()) {
                case 512 -> backward512(dinp, inp, dout, i0, t, e, g, n);
                case 256 -> backward256(dinp, inp, dout, i0, t, e, g, n);
                case 128 -> backward128(dinp, inp, dout, i0, t, e, g, n);
                default -> throw new IllegalStateException("no vector loop for " + lanes);
            }
        }
        backwardTail(dinp, inp, dout, vectorEnd, N);
    }

    /** The specification of {@link #geluBackward}. */
    public static void geluBackwardScalar(float[] dinp, float[] inp, float[] dout, int N) {
        backwardTail(dinp, inp, dout, 0, N);
    }

    private static void backwardTail(float[] dinp, float[] inp, float[] dout, int from, int N) {
        for (int i = from; i < N; i++) {
            dinp[i] += (float) (dout[i] * derivative(inp[i]));
        }
    }

    /** Phi(x) in double. */
    static double cdf(double x) {
        return 0.5 * Erf.erfc(-x * INV_SQRT2);
    }

    private static double derivative(double x) {
        return cdf(x) + x * Math.exp(-0.5 * x * x) * INV_SQRT_2PI;
    }

    /** Pass 1 on x = inp[off..off+n): t, a of erfc(|x|/sqrt 2) = t exp(a), and g = -x^2/2 when g is not null. */
    private static void terms(Lanes lanes, float[] inp, int off, float[] t, float[] a, float[] g, int n) {
        switch (lanes.bits()) {
            case 512 -> terms512(inp, off, t, a, g, n);
            case 256 -> terms256(inp, off, t, a, g, n);
            case 128 -> terms128(inp, off, t, a, g, n);
            default -> throw new IllegalStateException("no vector loop for " + lanes);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The vector passes once per width; n is a whole number of vectors. With z = |x| / sqrt 2:
    //   terms:    t = 1 / (1 + z/2);  a = -z^2 + P(t) (Erf's Horner order);  g = -x^2 / 2
    //   forward:  half = t e / 2 = erfc(z) / 2;  Phi = x > 0 ? 1 - half : half;  out = x Phi
    //   backward: local = x (g / sqrt(2 pi)) + Phi, g now the exp;  dinp += dout * local

    private static void terms512(float[] inp, int off, float[] t, float[] a, float[] g, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        for (int i = 0; i < S.loopBound(n); i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, inp, off + i);
            FloatVector z = x.abs().mul((float) INV_SQRT2);
            FloatVector ti = FloatVector.broadcast(S, 1f).div(z.fma(0.5f, 1f));
            FloatVector p = FloatVector.broadcast(S, (float) Erf.C9);
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C8));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C7));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C6));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C5));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C4));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C3));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C2));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C1));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C0));
            ti.intoArray(t, i);
            z.mul(z).neg().add(p).intoArray(a, i);
            if (g != null) {
                x.mul(x).mul(-0.5f).intoArray(g, i);
            }
        }
    }

    private static void terms256(float[] inp, int off, float[] t, float[] a, float[] g, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        for (int i = 0; i < S.loopBound(n); i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, inp, off + i);
            FloatVector z = x.abs().mul((float) INV_SQRT2);
            FloatVector ti = FloatVector.broadcast(S, 1f).div(z.fma(0.5f, 1f));
            FloatVector p = FloatVector.broadcast(S, (float) Erf.C9);
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C8));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C7));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C6));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C5));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C4));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C3));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C2));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C1));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C0));
            ti.intoArray(t, i);
            z.mul(z).neg().add(p).intoArray(a, i);
            if (g != null) {
                x.mul(x).mul(-0.5f).intoArray(g, i);
            }
        }
    }

    private static void terms128(float[] inp, int off, float[] t, float[] a, float[] g, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        for (int i = 0; i < S.loopBound(n); i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, inp, off + i);
            FloatVector z = x.abs().mul((float) INV_SQRT2);
            FloatVector ti = FloatVector.broadcast(S, 1f).div(z.fma(0.5f, 1f));
            FloatVector p = FloatVector.broadcast(S, (float) Erf.C9);
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C8));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C7));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C6));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C5));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C4));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C3));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C2));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C1));
            p = p.fma(ti, FloatVector.broadcast(S, (float) Erf.C0));
            ti.intoArray(t, i);
            z.mul(z).neg().add(p).intoArray(a, i);
            if (g != null) {
                x.mul(x).mul(-0.5f).intoArray(g, i);
            }
        }
    }

    private static void forward512(float[] out, float[] inp, int off, float[] t, float[] e, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        for (int i = 0; i < S.loopBound(n); i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, inp, off + i);
            FloatVector half = FloatVector.fromArray(S, t, i).mul(FloatVector.fromArray(S, e, i)).mul(0.5f);
            FloatVector phi = half.blend(half.neg().add(1f), x.compare(VectorOperators.GT, 0f));
            x.mul(phi).intoArray(out, off + i);
        }
    }

    private static void forward256(float[] out, float[] inp, int off, float[] t, float[] e, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        for (int i = 0; i < S.loopBound(n); i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, inp, off + i);
            FloatVector half = FloatVector.fromArray(S, t, i).mul(FloatVector.fromArray(S, e, i)).mul(0.5f);
            FloatVector phi = half.blend(half.neg().add(1f), x.compare(VectorOperators.GT, 0f));
            x.mul(phi).intoArray(out, off + i);
        }
    }

    private static void forward128(float[] out, float[] inp, int off, float[] t, float[] e, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        for (int i = 0; i < S.loopBound(n); i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, inp, off + i);
            FloatVector half = FloatVector.fromArray(S, t, i).mul(FloatVector.fromArray(S, e, i)).mul(0.5f);
            FloatVector phi = half.blend(half.neg().add(1f), x.compare(VectorOperators.GT, 0f));
            x.mul(phi).intoArray(out, off + i);
        }
    }

    private static void backward512(float[] dinp, float[] inp, float[] dout, int off, float[] t, float[] e, float[] g,
                                    int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        for (int i = 0; i < S.loopBound(n); i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, inp, off + i);
            FloatVector half = FloatVector.fromArray(S, t, i).mul(FloatVector.fromArray(S, e, i)).mul(0.5f);
            FloatVector phi = half.blend(half.neg().add(1f), x.compare(VectorOperators.GT, 0f));
            FloatVector density = FloatVector.fromArray(S, g, i).mul((float) INV_SQRT_2PI);
            FloatVector local = x.fma(density, phi);
            FloatVector.fromArray(S, dout, off + i).fma(local, FloatVector.fromArray(S, dinp, off + i))
                    .intoArray(dinp, off + i);
        }
    }

    private static void backward256(float[] dinp, float[] inp, float[] dout, int off, float[] t, float[] e, float[] g,
                                    int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        for (int i = 0; i < S.loopBound(n); i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, inp, off + i);
            FloatVector half = FloatVector.fromArray(S, t, i).mul(FloatVector.fromArray(S, e, i)).mul(0.5f);
            FloatVector phi = half.blend(half.neg().add(1f), x.compare(VectorOperators.GT, 0f));
            FloatVector density = FloatVector.fromArray(S, g, i).mul((float) INV_SQRT_2PI);
            FloatVector local = x.fma(density, phi);
            FloatVector.fromArray(S, dout, off + i).fma(local, FloatVector.fromArray(S, dinp, off + i))
                    .intoArray(dinp, off + i);
        }
    }

    private static void backward128(float[] dinp, float[] inp, float[] dout, int off, float[] t, float[] e, float[] g,
                                    int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        for (int i = 0; i < S.loopBound(n); i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, inp, off + i);
            FloatVector half = FloatVector.fromArray(S, t, i).mul(FloatVector.fromArray(S, e, i)).mul(0.5f);
            FloatVector phi = half.blend(half.neg().add(1f), x.compare(VectorOperators.GT, 0f));
            FloatVector density = FloatVector.fromArray(S, g, i).mul((float) INV_SQRT_2PI);
            FloatVector local = x.fma(density, phi);
            FloatVector.fromArray(S, dout, off + i).fma(local, FloatVector.fromArray(S, dinp, off + i))
                    .intoArray(dinp, off + i);
        }
    }
}
