package aclip4j.kernel;


/**
 * The canonical summation order (docs/SPEC.md §13), once for the scalar specification and once for the vector
 * accumulators, so that every width gives the same bits.
 *
 * <p>A reduction over {@code n} elements keeps 16 partial sums: element {@code i < n - n mod 16} goes to partial
 * {@code i mod 16}, each partial accumulating in index order. The partials are combined by the halving tree
 * {@code p[j] += p[j + s]} for {@code s = 8, 4, 2, 1} ({@code j < s}), i.e.
 * {@code (((p0+p8)+(p4+p12)) + ((p2+p10)+(p6+p14))) + (((p1+p9)+(p5+p13)) + ((p3+p11)+(p7+p15)))}; then the
 * {@code n mod 16} tail elements are added in index order. A 512-bit vector holds the 16 partials in one
 * accumulator, 256 bits in two ({@code acc0} = partials 0–7, {@code acc1} = 8–15), 128 bits in four; the first tree
 * steps are then vector additions of whole accumulators, the last ones run on the lanes of one.
 *
 * <p>{@code reduceLanes(ADD)} is not used: its order is unspecified (HotSpot compiles it as a tree while the
 * interpreter adds left to right), so its bits would depend on JIT timing as well as on the width.
 */
public final class VecMath {
    private VecMath() {}

    /** Rounds n down to whole blocks of 16: where the partial sums end and the tail begins. */
    public static int blocks16(int n) {
        return n & ~(Lanes.PARTIALS - 1);
    }

    /** The tree over 16 scalar partials, {@code p[j] += p[j + s]} for s = 8, 4, 2, 1; overwrites p, returns p[0]. */
    public static float tree16(float[] p) {
        for (int s = Lanes.PARTIALS / 2; s >= 1; s >>= 1) {
            for (int j = 0; j < s; j++) {
                p[j] += p[j + s];
            }
        }
        return p[0];
    }

    /** Each thread's 16 partial sums, for a vector reduction to store its accumulators into before {@link #tree16}. */
    private static final ThreadLocal<float[]> PARTIALS = ThreadLocal.withInitial(() -> new float[Lanes.PARTIALS]);

    /**
     * This thread's array of {@link Lanes#PARTIALS} floats: a reduction stores its accumulators there (accumulator
     * {@code a} at {@code a * LENGTH}, so element {@code j} is partial {@code j}) and calls {@link #tree16}. No
     * reduction allocates; its contents are overwritten by the next one.
     */
    public static float[] partials() {
        return PARTIALS.get();
    }

    /**
     * The exponential of every kernel, scalar form: the same IEEE operations, in the same order, as the vector
     * exp of {@link Vec#expShifted} (so the scalar specification and every width give the same bits). Within
     * 1 ulp of {@code (float) Math.exp(x)}; exp(-inf) = 0, exp(+inf) = +inf, NaN stays NaN, results below
     * 2^-149 flush to 0 and above the float range go to +inf.
     */
    public static float exp(float x) {
        float c = Math.max(Math.min(x, 89f), -104f);
        float k = Math.fma(c, LOG2E, ROUND);
        float m = k - ROUND;
        float r = Math.fma(m, -LN2_HI, c);
        r = Math.fma(m, -LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float e = Math.fma(p, r * r, r) + 1f;
        int mi = Float.floatToRawIntBits(k) - ROUND_BITS;
        int m1 = mi >> 1, m2 = mi - m1;
        return e * Float.intBitsToFloat((m1 + 127) << 23) * Float.intBitsToFloat((m2 + 127) << 23);
    }

    /*
     * exp steps, per element (scalar here, per lane in Vec.expShifted):
     *   c = clamp(x, -104, 89)                 beyond these exp is 0 / +inf anyway; keeps m in range
     *   m = round(c / ln 2)                    adding 1.5 * 2^23 rounds to an integer kept in the low mantissa bits
     *   r = c - m ln 2                         ln 2 in two parts (Cody-Waite): m * LN2_HI is exact; |r| <= ln(2)/2
     *   e = 1 + r + r^2 P(r)                   the Cephes expf polynomial
     *   e = e * 2^(m/2) * 2^(m - m/2)          two factors, so that denormal results and 2^128 work
     * Only IEEE-exact operations (fma, add, mul, min, max, integer ops): the same bits in the interpreter and in
     * compiled code, unlike the Vector API's lanewise(EXP) (Intel SVML when compiled, Math.exp when interpreted).
     */
    static final float LOG2E = 1.44269504088896341f;
    static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    static final float ROUND = 12582912f;
    static final int ROUND_BITS = 0x4B400000;
    static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
}
