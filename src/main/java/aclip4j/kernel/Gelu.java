package aclip4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The exact (erf) GELU of timm's ViT MLP (SPEC §1.4): {@code gelu(x) = x Phi(x)}, {@code Phi(x) = erfc(-x/sqrt 2)/2}.
 * Shapes: inp, out, dinp, dout (N). The scalar twin evaluates {@link Erf#erfc} in double, the vector one in float
 * with {@link Vec#exp}. The vector loops exist once per width ({@code forward512}, ...; read the 512 copy): C2
 * needs the species as a constant, see {@link Vec}.
 */
public final class Gelu {
    private Gelu() {}

    private static final double INV_SQRT2 = 1.0 / Math.sqrt(2.0);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

    /** out (N) = x Phi(x). */
    public static void geluForward(Lanes lanes, float[] out, float[] inp, int N) {
        switch (lanes.bits()) {
            case 512 -> forward512(out, inp, N);
            case 256 -> forward256(out, inp, N);
            case 128 -> forward128(out, inp, N);
            default -> geluForwardScalar(out, inp, N);
        }
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
        switch (lanes.bits()) {
            case 512 -> backward512(dinp, inp, dout, N);
            case 256 -> backward256(dinp, inp, dout, N);
            case 128 -> backward128(dinp, inp, dout, N);
            default -> geluBackwardScalar(dinp, inp, dout, N);
        }
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

    /** Phi(x) lane-wise: e = erfc(|x|/sqrt 2); Phi = e/2 for x <= 0, 1 - e/2 above. */
    private static FloatVector phi(FloatVector x) {
        FloatVector half = Erf.erfcNonNegative(x.abs().mul((float) INV_SQRT2)).mul(0.5f);
        VectorMask<Float> positive = x.compare(VectorOperators.GT, 0f);
        return half.blend(half.neg().add(1f), positive);
    }

    /** Phi(x) + x phi(x) lane-wise, phi(x) = exp(-x^2/2) / sqrt(2 pi). */
    private static FloatVector derivative(FloatVector x) {
        FloatVector density = Vec.exp(x.mul(x).mul(-0.5f)).mul((float) INV_SQRT_2PI);
        return x.fma(density, phi(x));
    }

    // ---------------------------------------------------------------------------------------------------------
    // One copy per width of each vector loop; the scalar tail finishes the last N % lanes elements.

    private static void forward512(float[] out, float[] inp, int N) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int i = 0;
        for (int bound = S.loopBound(N); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, inp, i);
            x.mul(phi(x)).intoArray(out, i);                                         // out = x Phi(x)
        }
        forwardTail(out, inp, i, N);
    }

    private static void forward256(float[] out, float[] inp, int N) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int i = 0;
        for (int bound = S.loopBound(N); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, inp, i);
            x.mul(phi(x)).intoArray(out, i);
        }
        forwardTail(out, inp, i, N);
    }

    private static void forward128(float[] out, float[] inp, int N) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int i = 0;
        for (int bound = S.loopBound(N); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, inp, i);
            x.mul(phi(x)).intoArray(out, i);
        }
        forwardTail(out, inp, i, N);
    }

    private static void backward512(float[] dinp, float[] inp, float[] dout, int N) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int i = 0;
        for (int bound = S.loopBound(N); i < bound; i += S.length()) {
            FloatVector local = derivative(FloatVector.fromArray(S, inp, i));
            // dinp += dout * local
            FloatVector.fromArray(S, dout, i).fma(local, FloatVector.fromArray(S, dinp, i)).intoArray(dinp, i);
        }
        backwardTail(dinp, inp, dout, i, N);
    }

    private static void backward256(float[] dinp, float[] inp, float[] dout, int N) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int i = 0;
        for (int bound = S.loopBound(N); i < bound; i += S.length()) {
            FloatVector local = derivative(FloatVector.fromArray(S, inp, i));
            FloatVector.fromArray(S, dout, i).fma(local, FloatVector.fromArray(S, dinp, i)).intoArray(dinp, i);
        }
        backwardTail(dinp, inp, dout, i, N);
    }

    private static void backward128(float[] dinp, float[] inp, float[] dout, int N) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int i = 0;
        for (int bound = S.loopBound(N); i < bound; i += S.length()) {
            FloatVector local = derivative(FloatVector.fromArray(S, inp, i));
            FloatVector.fromArray(S, dout, i).fma(local, FloatVector.fromArray(S, dinp, i)).intoArray(dinp, i);
        }
        backwardTail(dinp, inp, dout, i, N);
    }
}
