package aclip4j.mask;

import aclip4j.kernel.Lanes;
import aclip4j.kernel.Vec;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link BilinearResize} in plain Java with the Vector API (SPEC §5.1). Separable: every input row is first
 * interpolated along x into {@code tmp [inH,outW]} ({@code (1-λx)*a + λx*b}), then pairs of those rows are blended
 * along y ({@code (1-λy)*top + λy*bottom}). That is the §5.1 formula term for term, with each product rounded and
 * then added (no fused multiply-add), so every lane width gives the same bits as the scalar loops.
 */
public final class SimdBilinearResize implements BilinearResize {
    private final Lanes lanes;

    public SimdBilinearResize() {
        this(Lanes.preferred());
    }

    public SimdBilinearResize(Lanes lanes) {
        this.lanes = lanes;
    }

    @Override
    public float[] resize(float[] x, int P, int inH, int inW, int outH, int outW) {
        // x is (P,inH,inW); y is (P,outH,outW)
        Checks.atLeast(1, "P, inH, inW, outH, outW", P, inH, inW, outH, outW);
        Checks.length("resize input", x.length, "[P,inH,inW]", P, inH, inW);
        Checks.finite("resize input", x);
        Axis ax = Axis.of(inW, outW);
        Axis ay = Axis.of(inH, outH);
        float[] w1x = ax.lambda();
        float[] w0x = oneMinus(w1x);
        float[] y = new float[P * outH * outW];
        float[] tmp = new float[inH * outW];
        for (int p = 0; p < P; p++) {
            for (int r = 0; r < inH; r++) {
                lerpGather(lanes, tmp, r * outW, x, (p * inH + r) * inW, ax.i0(), ax.i1(), w0x, w1x, outW);
            }
            for (int oy = 0; oy < outH; oy++) {
                float w1 = ay.lambda()[oy];
                lerpRows(lanes, y, (p * outH + oy) * outW, tmp, ay.i0()[oy] * outW, ay.i1()[oy] * outW,
                        1f - w1, w1, outW);
            }
        }
        return y;
    }

    private static float[] oneMinus(float[] lambda) {
        float[] w = new float[lambda.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = 1f - lambda[i];
        }
        return w;
    }

    /** out[oOff+d] = w0[d] * x[xOff+i0[d]] + w1[d] * x[xOff+i1[d]] for d < n: one row along x. */
    static void lerpGather(Lanes lanes, float[] out, int oOff, float[] x, int xOff, int[] i0, int[] i1,
                           float[] w0, float[] w1, int n) {
        int d = switch (lanes.bits()) {
            case 512 -> lerpGather512(out, oOff, x, xOff, i0, i1, w0, w1, n);
            case 256 -> lerpGather256(out, oOff, x, xOff, i0, i1, w0, w1, n);
            case 128 -> lerpGather128(out, oOff, x, xOff, i0, i1, w0, w1, n);
            default -> 0;
        };
        for (; d < n; d++) {
            out[oOff + d] = w0[d] * x[xOff + i0[d]] + w1[d] * x[xOff + i1[d]];
        }
    }

    /** out[oOff+d] = w0 * t[aOff+d] + w1 * t[bOff+d] for d < n: two rows blended along y ({@link Vec#combine}). */
    static void lerpRows(Lanes lanes, float[] out, int oOff, float[] t, int aOff, int bOff, float w0, float w1,
                         int n) {
        Vec.combine(lanes, out, oOff, t, aOff, w0, t, bOff, w1, n);
    }

    // ---------------------------------------------------------------------------------------------------------
    // The gathering loop of lerpGather once per width (C2 needs the species as a constant, see Vec; the copies
    // differ only in it): (1-λ)*a + λ*b, two roundings then the add. Each returns where the scalar loop takes over.

    private static int lerpGather512(float[] out, int oOff, float[] x, int xOff, int[] i0, int[] i1, float[] w0,
                                     float[] w1, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int d = 0;
        for (int bound = S.loopBound(n); d < bound; d += S.length()) {
            FloatVector a = FloatVector.fromArray(S, x, xOff, i0, d); // a[lane] = x[xOff + i0[d+lane]]
            FloatVector b = FloatVector.fromArray(S, x, xOff, i1, d); // b[lane] = x[xOff + i1[d+lane]]
            FloatVector.fromArray(S, w0, d).mul(a).add(FloatVector.fromArray(S, w1, d).mul(b)).intoArray(out, oOff + d);
        }
        return d;
    }

    private static int lerpGather256(float[] out, int oOff, float[] x, int xOff, int[] i0, int[] i1, float[] w0,
                                     float[] w1, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int d = 0;
        for (int bound = S.loopBound(n); d < bound; d += S.length()) {
            FloatVector a = FloatVector.fromArray(S, x, xOff, i0, d); // a[lane] = x[xOff + i0[d+lane]]
            FloatVector b = FloatVector.fromArray(S, x, xOff, i1, d); // b[lane] = x[xOff + i1[d+lane]]
            FloatVector.fromArray(S, w0, d).mul(a).add(FloatVector.fromArray(S, w1, d).mul(b)).intoArray(out, oOff + d);
        }
        return d;
    }

    private static int lerpGather128(float[] out, int oOff, float[] x, int xOff, int[] i0, int[] i1, float[] w0,
                                     float[] w1, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int d = 0;
        for (int bound = S.loopBound(n); d < bound; d += S.length()) {
            FloatVector a = FloatVector.fromArray(S, x, xOff, i0, d); // a[lane] = x[xOff + i0[d+lane]]
            FloatVector b = FloatVector.fromArray(S, x, xOff, i1, d); // b[lane] = x[xOff + i1[d+lane]]
            FloatVector.fromArray(S, w0, d).mul(a).add(FloatVector.fromArray(S, w1, d).mul(b)).intoArray(out, oOff + d);
        }
        return d;
    }
}
