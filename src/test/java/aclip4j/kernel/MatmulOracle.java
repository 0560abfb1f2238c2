package aclip4j.kernel;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

/**
 * Independent references for {@link Matmul}, written per output element (not per loop nest like the scalar twin):
 * <ul>
 *   <li>the fma chain: {@code acc = init; acc = fma(x_k, y_k, acc)} for k in increasing order. The blocked kernel
 *       promises exactly this order at every lane width and thread count, so it must match bit for bit;</li>
 *   <li>float64 sums with the sum of absolute terms, for an error bound that any float summation order meets:
 *       n steps of at most two roundings each (multiply, add) stay within {@code 2 (n+1) u * sum|terms|},
 *       {@code u = 2^-24}.</li>
 * </ul>
 */
public final class MatmulOracle {
    private static final double U = Math.scalb(1.0, -24);

    private MatmulOracle() {}

    /** A value and the tolerance its float summations must meet. */
    record Ref(double[] value, double[] tol) {}

    /** n values uniform in [-1, 1): the inputs of the matmul tests and of the benchmarks. */
    public static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }

    // ---- forward: out[t][o] = bias[o] + sum_c inp[t][c] * weight[o][c]

    static float[] forwardFma(float[] inp, float[] weight, float[] bias, int BT, int C, int OC) {
        float[] out = new float[BT * OC];
        for (int t = 0; t < BT; t++) {
            for (int o = 0; o < OC; o++) {
                float acc = bias == null ? 0f : bias[o];
                for (int c = 0; c < C; c++) {
                    acc = Math.fma(inp[t * C + c], weight[o * C + c], acc);
                }
                out[t * OC + o] = acc;
            }
        }
        return out;
    }

    static Ref forward64(float[] inp, float[] weight, float[] bias, int BT, int C, int OC) {
        double[] v = new double[BT * OC];
        double[] tol = new double[BT * OC];
        for (int t = 0; t < BT; t++) {
            for (int o = 0; o < OC; o++) {
                double s = bias == null ? 0 : bias[o];
                double abs = Math.abs(s);
                for (int c = 0; c < C; c++) {
                    double p = (double) inp[t * C + c] * weight[o * C + c];
                    s += p;
                    abs += Math.abs(p);
                }
                v[t * OC + o] = s;
                tol[t * OC + o] = 2 * (C + 1) * U * abs + Float.MIN_NORMAL;
            }
        }
        return new Ref(v, tol);
    }

    // ---- backward, each starting from the gradient already there (backward adds)

    /** dinp[t][c] = dinp0[t][c] + sum_o dout[t][o] * weight[o][c], fma chain over o. */
    static float[] dinpFma(float[] dinp0, float[] dout, float[] weight, int BT, int C, int OC) {
        float[] r = new float[BT * C];
        for (int t = 0; t < BT; t++) {
            for (int c = 0; c < C; c++) {
                float acc = dinp0[t * C + c];
                for (int o = 0; o < OC; o++) {
                    acc = Math.fma(dout[t * OC + o], weight[o * C + c], acc);
                }
                r[t * C + c] = acc;
            }
        }
        return r;
    }

    /** dweight[o][c] = dweight0[o][c] + sum_t dout[t][o] * inp[t][c], fma chain over t. */
    static float[] dweightFma(float[] dweight0, float[] dout, float[] inp, int BT, int C, int OC) {
        float[] r = new float[OC * C];
        for (int o = 0; o < OC; o++) {
            for (int c = 0; c < C; c++) {
                float acc = dweight0[o * C + c];
                for (int t = 0; t < BT; t++) {
                    acc = Math.fma(dout[t * OC + o], inp[t * C + c], acc);
                }
                r[o * C + c] = acc;
            }
        }
        return r;
    }

    /** dbias[o] = dbias0[o] + dout[0][o] + dout[1][o] + ..., float adds in t order (the scalar loop's own order). */
    static float[] dbiasChain(float[] dbias0, float[] dout, int BT, int OC) {
        float[] r = new float[OC];
        for (int o = 0; o < OC; o++) {
            float acc = dbias0[o];
            for (int t = 0; t < BT; t++) {
                acc += dout[t * OC + o];
            }
            r[o] = acc;
        }
        return r;
    }

    static Ref dinp64(float[] dinp0, float[] dout, float[] weight, int BT, int C, int OC) {
        double[] v = new double[BT * C];
        double[] tol = new double[BT * C];
        for (int t = 0; t < BT; t++) {
            for (int c = 0; c < C; c++) {
                double s = dinp0[t * C + c];
                double abs = Math.abs(s);
                for (int o = 0; o < OC; o++) {
                    double p = (double) dout[t * OC + o] * weight[o * C + c];
                    s += p;
                    abs += Math.abs(p);
                }
                v[t * C + c] = s;
                tol[t * C + c] = 2 * (OC + 1) * U * abs + Float.MIN_NORMAL;
            }
        }
        return new Ref(v, tol);
    }

    static Ref dweight64(float[] dweight0, float[] dout, float[] inp, int BT, int C, int OC) {
        double[] v = new double[OC * C];
        double[] tol = new double[OC * C];
        for (int o = 0; o < OC; o++) {
            for (int c = 0; c < C; c++) {
                double s = dweight0[o * C + c];
                double abs = Math.abs(s);
                for (int t = 0; t < BT; t++) {
                    double p = (double) dout[t * OC + o] * inp[t * C + c];
                    s += p;
                    abs += Math.abs(p);
                }
                v[o * C + c] = s;
                tol[o * C + c] = 2 * (BT + 1) * U * abs + Float.MIN_NORMAL;
            }
        }
        return new Ref(v, tol);
    }

    // ---- assertions that print the first few offenders and the worst one (llm.c's check_tensor)

    static void assertBits(String what, float[] expected, float[] actual) {
        int bad = 0;
        StringBuilder msg = new StringBuilder();
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                if (bad++ < 5) {
                    msg.append(String.format("%n  [%d] expected %s got %s", i, expected[i], actual[i]));
                }
            }
        }
        if (bad > 0) {
            fail(what + ": " + bad + " of " + expected.length + " elements differ in their bits" + msg);
        }
    }

    static void assertWithin(String what, Ref ref, float[] actual) {
        assertWithin(what, ref, actual, 1.0);
    }

    /** |actual - ref| <= scale * tol elementwise. */
    static void assertWithin(String what, Ref ref, float[] actual, double scale) {
        int bad = 0;
        int worst = -1;
        double worstRatio = 0;
        StringBuilder msg = new StringBuilder();
        for (int i = 0; i < ref.value().length; i++) {
            double err = Math.abs(actual[i] - ref.value()[i]);
            double ratio = err / (scale * ref.tol()[i]);
            if (!(ratio <= 1)) {
                if (bad++ < 5) {
                    msg.append(String.format("%n  [%d] ref %.9g got %.9g |diff| %.3g tol %.3g",
                            i, ref.value()[i], actual[i], err, scale * ref.tol()[i]));
                }
            }
            if (!(ratio <= worstRatio)) {
                worstRatio = ratio;
                worst = i;
            }
        }
        if (bad > 0) {
            fail(what + ": " + bad + " of " + actual.length + " outside tolerance; worst [" + worst + "] at "
                    + worstRatio + " x tol" + msg);
        }
    }

    /** Elementwise |a - b| <= tolA + tolB: two float summations of one sum, each within its bound. */
    static void assertClose(String what, Ref ref, float[] a, float[] b) {
        int bad = 0;
        StringBuilder msg = new StringBuilder();
        for (int i = 0; i < a.length; i++) {
            double err = Math.abs(a[i] - b[i]);
            if (!(err <= 2 * ref.tol()[i])) {
                if (bad++ < 5) {
                    msg.append(String.format("%n  [%d] %.9g vs %.9g tol %.3g", i, a[i], b[i], 2 * ref.tol()[i]));
                }
            }
        }
        if (bad > 0) {
            fail(what + ": " + bad + " of " + a.length + " differ beyond tolerance" + msg);
        }
    }
}
