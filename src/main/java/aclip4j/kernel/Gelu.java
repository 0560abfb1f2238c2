package aclip4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The exact (erf) GELU of timm's ViT MLP (SPEC §1.4): {@code gelu(x) = x Phi(x)}, {@code Phi(x) = erfc(-x/sqrt 2)/2}.
 * Shapes: inp, out, dinp, dout (N). The scalar twin evaluates {@link Erf#erfc} in double, the vector one in float.
 */
public final class Gelu {
    private Gelu() {}

    private static final double INV_SQRT2 = 1.0 / Math.sqrt(2.0);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

    /** out (N) = x Phi(x). */
    public static void geluForward(Lanes lanes, float[] out, float[] inp, int N) {
        if (lanes.scalar()) {
            geluForwardScalar(out, inp, N);
            return;
        }
        VectorSpecies<Float> sp = lanes.species();
        int bound = sp.loopBound(N), i = 0;
        for (; i < bound; i += sp.length()) {
            FloatVector x = FloatVector.fromArray(sp, inp, i);
            x.mul(phi(x)).intoArray(out, i);
        }
        for (; i < N; i++) {
            out[i] = (float) (inp[i] * cdf(inp[i]));
        }
    }

    /** The specification of {@link #geluForward}. */
    public static void geluForwardScalar(float[] out, float[] inp, int N) {
        for (int i = 0; i < N; i++) {
            out[i] = (float) (inp[i] * cdf(inp[i]));
        }
    }

    /** dinp (N) += dout * (Phi(x) + x phi(x)), phi the standard normal density. */
    public static void geluBackward(Lanes lanes, float[] dinp, float[] inp, float[] dout, int N) {
        if (lanes.scalar()) {
            geluBackwardScalar(dinp, inp, dout, N);
            return;
        }
        VectorSpecies<Float> sp = lanes.species();
        int bound = sp.loopBound(N), i = 0;
        for (; i < bound; i += sp.length()) {
            FloatVector x = FloatVector.fromArray(sp, inp, i);
            // density = exp(-x^2/2) / sqrt(2 pi)
            FloatVector density = x.mul(x).mul(-0.5f).lanewise(VectorOperators.EXP).mul((float) INV_SQRT_2PI);
            FloatVector local = x.fma(density, phi(x));
            FloatVector.fromArray(sp, dout, i).fma(local, FloatVector.fromArray(sp, dinp, i)).intoArray(dinp, i);
        }
        for (; i < N; i++) {
            dinp[i] += (float) (dout[i] * derivative(inp[i]));
        }
    }

    /** The specification of {@link #geluBackward}. */
    public static void geluBackwardScalar(float[] dinp, float[] inp, float[] dout, int N) {
        for (int i = 0; i < N; i++) {
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
}
