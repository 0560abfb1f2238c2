package aclip4j.mask;

import static aclip4j.kernel.Lanes.LENGTH;
import static aclip4j.kernel.Lanes.SPECIES;

import aclip4j.kernel.Lanes;
import aclip4j.kernel.Vec;
import jdk.incubator.vector.FloatVector;

/**
 * {@link BilinearResize} in plain Java with the Vector API (SPEC §5.1). Separable: every input row is first
 * interpolated along x into {@code tmp [inH,outW]}, then pairs of those rows are blended along y:
 * <pre>
 *   tmp[r][d] = (1−λx[d]) · x[r][i0x[d]] + λx[d] · x[r][i1x[d]]
 *   y[o][d]   = tmp[i0y[o]][d] · (1−λy[o]) + tmp[i1y[o]][d] · λy[o]
 * </pre>
 * with {@code 1−λ} rounded to float32 once per sample, each product rounded and then added: no fused
 * multiply-add and no reduction, so by docs/SPEC.md §13.1 the vector loops (one per pass, over
 * {@code Lanes.SPECIES}) and their scalar tails, the specification, give the same bits at every lane width.
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
        int d = 0;
        if (!lanes.scalar()) {
            for (int bound = SPECIES.loopBound(n); d < bound; d += LENGTH) {
                FloatVector a = FloatVector.fromArray(SPECIES, x, xOff, i0, d); // a = x[xOff + i0[d]]
                FloatVector b = FloatVector.fromArray(SPECIES, x, xOff, i1, d); // b = x[xOff + i1[d]]
                FloatVector.fromArray(SPECIES, w0, d).mul(a)                    // w0[d] * a
                        .add(FloatVector.fromArray(SPECIES, w1, d).mul(b))      //   + w1[d] * b, unfused
                        .intoArray(out, oOff + d);
            }
        }
        for (; d < n; d++) {
            out[oOff + d] = w0[d] * x[xOff + i0[d]] + w1[d] * x[xOff + i1[d]];
        }
    }

    /** out[oOff+d] = t[aOff+d] * w0 + t[bOff+d] * w1 for d < n: two rows blended along y ({@link Vec#combine}). */
    static void lerpRows(Lanes lanes, float[] out, int oOff, float[] t, int aOff, int bOff, float w0, float w1,
                         int n) {
        Vec.combine(lanes, out, oOff, t, aOff, w0, t, bOff, w1, n);
    }
}
