package aclip4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector math whose bits do not depend on the JIT. Two Vector API operations are not safe for "same seed, same
 * bits": {@code reduceLanes(ADD)} may add lanes in any order (the interpreter's fallback adds them left to right,
 * compiled code as a tree), and {@code lanewise(EXP)} is {@code Math.exp} when interpreted but a different
 * vendor routine once compiled. A training run starts interpreted and ends compiled, so either would make a run's
 * bits depend on when HotSpot compiled which method. These replacements use only IEEE-exact lane operations
 * (add, multiply, compare, blend, integer shifts), which give the same bits in every tier.
 */
public final class VecMath {
    private VecMath() {}

    /** Sum of the lanes, left to right: {@code v[0] + v[1] + … + v[n-1]}. */
    public static float sumLanes(FloatVector v) {
        float[] lanes = v.toArray();
        float s = 0f;
        for (float x : lanes) {
            s += x;
        }
        return s;
    }

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** Below this, exp(x) is under the smallest normal float: the result is 0 (softmax masks rely on it). */
    private static final float MIN_ARG = -87.33654f;
    private static final float MAX_ARG = 88.72283f;

    /**
     * e^x per lane (Cephes {@code expf}: {@code x = n ln2 + r}, a degree-6 polynomial in {@code r}, times
     * {@code 2^n}); within 2 ulp of {@link Math#exp} on [-87.3, 88.7], 0 below, +Inf above.
     */
    public static FloatVector exp(FloatVector x) {
        VectorMask<Float> under = x.lt(MIN_ARG);
        VectorMask<Float> over = x.compare(VectorOperators.GT, MAX_ARG);
        VectorMask<Float> nan = x.test(VectorOperators.IS_NAN);
        FloatVector xc = x.max(MIN_ARG).min(MAX_ARG);
        // n = floor(x log2 e + 0.5): truncate, then step down where truncation went up (negative values)
        FloatVector t = xc.mul(LOG2E).add(0.5f);
        FloatVector n = (FloatVector) t.convert(VectorOperators.F2I, 0).convert(VectorOperators.I2F, 0);
        n = n.sub(n.broadcast(1f), n.compare(VectorOperators.GT, t));
        FloatVector r = xc.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
        FloatVector z = r.mul(r);
        FloatVector y = r.mul(1.9875691500e-4f).add(1.3981999507e-3f)
                .mul(r).add(8.3334519073e-3f)
                .mul(r).add(4.1665795894e-2f)
                .mul(r).add(1.6666665459e-1f)
                .mul(r).add(5.0000001201e-1f)
                .mul(z).add(r).add(1f);
        // 2^n from the exponent bits; n + 127 stays in [1, 254] for n in [-126, 127]: split as 2^(n/2) * 2^(n - n/2)
        IntVector ni = (IntVector) n.convert(VectorOperators.F2I, 0);
        IntVector half = ni.lanewise(VectorOperators.ASHR, 1);
        FloatVector p1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector p2 = ni.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector e = y.mul(p1).mul(p2);
        e = e.blend(0f, under).blend(Float.POSITIVE_INFINITY, over);
        return e.blend(x, nan);
    }

    /** The scalar twin of {@link #exp}: the same operations on one value, so it gives the same bits. */
    public static float expScalar(float x) {
        if (Float.isNaN(x)) {
            return x;
        }
        if (x < MIN_ARG) {
            return 0f;
        }
        if (x > MAX_ARG) {
            return Float.POSITIVE_INFINITY;
        }
        float t = x * LOG2E + 0.5f;
        float n = (float) (int) t;
        if (n > t) {
            n -= 1f;
        }
        float r = x - n * LN2_HI - n * LN2_LO;
        float z = r * r;
        float y = ((((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r
                + 1.6666665459e-1f) * r + 5.0000001201e-1f) * z) + r + 1f;
        int ni = (int) n;
        int half = ni >> 1;
        float p1 = Float.intBitsToFloat((half + 127) << 23);
        float p2 = Float.intBitsToFloat((ni - half + 127) << 23);
        return y * p1 * p2;
    }
}
