package aclip4j.kernel;

import static aclip4j.kernel.GradCheck.assertClose;
import static aclip4j.kernel.GradCheck.randn;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Attention's vector code against its scalar specification, bit for bit ({@code floatToIntBits}), at every width of
 * {@link Lanes#testWidths()} (docs/SPEC.md §13): head sizes and sequence lengths that hit the channel tails
 * ({@code hs mod LENGTH}), the 4-row blocks, the 16-key padding and (at the larger shapes) the full register tiles
 * of every width; causal and not. Also: hidden keys never reach a query, the same bits for 1, 2 and 3 threads, and
 * the specification within rounding of a float64 oracle (forward and backward).
 */
class AttentionProperties {

    @Provide
    Arbitrary<Integer> sizes() {
        return Arbitraries.of(1, 2, 3, 5, 7, 15, 16, 17, 31, 33);
    }

    @Provide
    Arbitrary<Integer> lengths() {
        return Arbitraries.of(1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 40);
    }

    /**
     * Head sizes with whole register tiles at every width (64 = 4 vectors of 16), the two-vector tiles of heads
     * narrower than that at 512 bits (32: ViT-S/16's, 48, 112 = 64 + 32 + 16), plus single vectors and tails.
     */
    @Provide
    Arbitrary<Integer> wideHeadSizes() {
        return Arbitraries.of(16, 32, 48, 64, 67, 80, 112);
    }

    /** Lengths whose 16-padded key rows hold a whole 4 x 16-key tile at 512 bits, and its tails. */
    @Provide
    Arbitrary<Integer> longLengths() {
        return Arbitraries.of(48, 49, 64, 65, 70);
    }

    @Property(tries = 80)
    void attention(@ForAll("sizes") int hs, @ForAll("lengths") int T, @ForAll boolean causal, @ForAll long seed) {
        sameBitsAsSpecification(hs, T, 2, 2, causal, seed);
    }

    @Property(tries = 10)
    void wideTiles(@ForAll("wideHeadSizes") int hs, @ForAll("longLengths") int T, @ForAll boolean causal,
                   @ForAll long seed) {
        sameBitsAsSpecification(hs, T, 1, 2, causal, seed);
    }

    private static void sameBitsAsSpecification(int hs, int T, int B, int NH, boolean causal, long seed) {
        Random r = new Random(seed);
        int C = NH * hs;
        double spread = r.nextBoolean() ? 1 : 3; // 3: peaked softmax rows, tiny probabilities
        float[] qkv = randn(r, B * T * 3 * C, spread), dout = randn(r, B * T * C, 1);
        float[] dStart = randn(r, qkv.length, 1); // the backward adds into the gradient already there
        for (int i = 0; i < dStart.length; i += 7) {
            dStart[i] = -0f;
        }
        float[] out0 = new float[B * T * C], att0 = new float[B * NH * T * T];
        Attention.attentionForwardScalar(out0, att0, qkv, B, T, C, NH, causal);
        float[] d0 = dStart.clone();
        Attention.attentionBackwardScalar(d0, dout, qkv, att0, B, T, C, NH, causal);
        String shape = " hs=" + hs + " T=" + T + " B=" + B + " NH=" + NH + " causal=" + causal + " seed=" + seed;
        for (Lanes lanes : Lanes.testWidths()) {
            float[] out = new float[B * T * C], att = new float[B * NH * T * T];
            Arrays.fill(out, Float.NaN); // every element must be written
            Arrays.fill(att, Float.NaN);
            Attention.attentionForward(lanes, out, att, qkv, B, T, C, NH, causal);
            assertSameBits("out " + lanes + shape, out0, out);
            assertSameBits("att " + lanes + shape, att0, att);
            float[] d = dStart.clone();
            Attention.attentionBackward(lanes, d, dout, qkv, att0, B, T, C, NH, causal);
            assertSameBits("dqkv " + lanes + shape, d0, d);
        }
    }

    /**
     * Causal: NaN and inf in the key and value of the last token must not reach the earlier queries (a masked pair
     * adds no term, not a zero one), and the vector code still gives the specification's bits everywhere.
     */
    @Property(tries = 30)
    void hiddenKeysNeverReachAQuery(@ForAll("sizes") int hs, @ForAll("lengths") int T, @ForAll long seed) {
        if (T < 2) {
            return;
        }
        Random r = new Random(seed);
        int B = 1, NH = 2, C = NH * hs, C3 = 3 * C;
        float[] qkv = randn(r, B * T * C3, 1), dout = randn(r, B * T * C, 1);
        for (int i = 0; i < C; i++) {
            qkv[(T - 1) * C3 + C + i] = i % 2 == 0 ? Float.NaN : Float.POSITIVE_INFINITY; // k
            qkv[(T - 1) * C3 + 2 * C + i] = i % 2 == 0 ? Float.POSITIVE_INFINITY : Float.NaN; // v
        }
        float[] out0 = new float[B * T * C], att0 = new float[B * NH * T * T];
        Attention.attentionForwardScalar(out0, att0, qkv, B, T, C, NH, true);
        float[] d0 = new float[qkv.length];
        Attention.attentionBackwardScalar(d0, dout, qkv, att0, B, T, C, NH, true);
        for (int i = 0; i < (T - 1) * C; i++) {
            assertTrue(Float.isFinite(out0[i]), "out[" + i + "] of an earlier query saw the last key");
        }
        for (int t = 0; t < T - 1; t++) {
            for (int i = 0; i < C; i++) {
                assertTrue(Float.isFinite(d0[t * C3 + i]), "dq[" + t + "][" + i + "] saw the last key");
            }
        }
        for (Lanes lanes : Lanes.testWidths()) {
            float[] out = new float[B * T * C], att = new float[B * NH * T * T];
            Attention.attentionForward(lanes, out, att, qkv, B, T, C, NH, true);
            assertSameBits("out " + lanes + " hs=" + hs + " T=" + T, out0, out);
            assertSameBits("att " + lanes + " hs=" + hs + " T=" + T, att0, att);
            float[] d = new float[qkv.length];
            Attention.attentionBackward(lanes, d, dout, qkv, att0, B, T, C, NH, true);
            assertSameBits("dqkv " + lanes + " hs=" + hs + " T=" + T, d0, d);
        }
    }

    @Property(tries = 10)
    void sameBitsForAnyThreadCount(@ForAll("sizes") int hs, @ForAll("lengths") int T, @ForAll boolean causal,
                                   @ForAll long seed) {
        Random r = new Random(seed);
        int B = 3, NH = 2, C = NH * hs;
        float[] qkv = randn(r, B * T * 3 * C, 1), dout = randn(r, B * T * C, 1);
        int before = Parallel.threads();
        try {
            float[] out1 = null, att1 = null, d1 = null;
            for (int threads : new int[] {1, 2, 3}) {
                Parallel.setThreads(threads);
                float[] out = new float[B * T * C], att = new float[B * NH * T * T], d = new float[qkv.length];
                Attention.attentionForward(Lanes.preferred(), out, att, qkv, B, T, C, NH, causal);
                Attention.attentionBackward(Lanes.preferred(), d, dout, qkv, att, B, T, C, NH, causal);
                if (out1 == null) {
                    out1 = out;
                    att1 = att;
                    d1 = d;
                } else {
                    assertSameBits("out, " + threads + " threads", out1, out);
                    assertSameBits("att, " + threads + " threads", att1, att);
                    assertSameBits("dqkv, " + threads + " threads", d1, d);
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    /** The specification itself: within float32 rounding of attention and its gradient computed in double. */
    @Property(tries = 30)
    void specificationMatchesFloat64(@ForAll("sizes") int hs, @ForAll("lengths") int T, @ForAll boolean causal,
                                     @ForAll long seed) {
        Random r = new Random(seed);
        int B = 2, NH = 2, C = NH * hs;
        float[] qkv = randn(r, B * T * 3 * C, 1), dout = randn(r, B * T * C, 1);
        float[] out = new float[B * T * C], att = new float[B * NH * T * T];
        Attention.attentionForwardScalar(out, att, qkv, B, T, C, NH, causal);
        float[] d = new float[qkv.length];
        Attention.attentionBackwardScalar(d, dout, qkv, att, B, T, C, NH, causal);
        float[] outE = new float[out.length], attE = new float[att.length], dE = new float[d.length];
        oracle(qkv, dout, B, T, C, NH, causal, outE, attE, dE);
        assertClose("out hs=" + hs + " T=" + T, outE, out, 1e-5, 1e-4);
        assertClose("att hs=" + hs + " T=" + T, attE, att, 1e-6, 1e-4);
        assertClose("dqkv hs=" + hs + " T=" + T, dE, d, 1e-4, 1e-3);
    }

    /** Attention forward and backward in double, straight from the definitions. */
    private static void oracle(float[] qkv, float[] dout, int B, int T, int C, int NH, boolean causal,
                               float[] out, float[] att, float[] dqkv) {
        int hs = C / NH, C3 = 3 * C;
        double scale = 1 / Math.sqrt(hs);
        double[] d = new double[dqkv.length];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < NH; h++) {
                double[][] p = new double[T][T], dl = new double[T][T];
                for (int t = 0; t < T; t++) {
                    int tEnd = causal ? t + 1 : T;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int u = 0; u < tEnd; u++) {
                        double s = 0;
                        for (int i = 0; i < hs; i++) {
                            s += (double) qkv[(b * T + t) * C3 + h * hs + i] * qkv[(b * T + u) * C3 + C + h * hs + i];
                        }
                        p[t][u] = s * scale;
                        max = Math.max(max, p[t][u]);
                    }
                    double z = 0;
                    for (int u = 0; u < tEnd; u++) {
                        p[t][u] = Math.exp(p[t][u] - max);
                        z += p[t][u];
                    }
                    double[] datt = new double[T];
                    double rowsum = 0;
                    for (int u = 0; u < tEnd; u++) {
                        p[t][u] /= z;
                        att[((b * NH + h) * T + t) * T + u] = (float) p[t][u];
                        for (int i = 0; i < hs; i++) {
                            datt[u] += (double) dout[(b * T + t) * C + h * hs + i] * qkv[(b * T + u) * C3 + 2 * C + h * hs + i];
                        }
                        rowsum += p[t][u] * datt[u];
                    }
                    for (int i = 0; i < hs; i++) {
                        double acc = 0;
                        for (int u = 0; u < tEnd; u++) {
                            acc += p[t][u] * qkv[(b * T + u) * C3 + 2 * C + h * hs + i];
                        }
                        out[(b * T + t) * C + h * hs + i] = (float) acc;
                    }
                    for (int u = 0; u < tEnd; u++) {
                        dl[t][u] = p[t][u] * (datt[u] - rowsum) * scale;
                    }
                }
                for (int t = 0; t < T; t++) {
                    for (int u = 0; u < T; u++) { // masked pairs have p = dl = 0
                        for (int i = 0; i < hs; i++) {
                            int q = (b * T + t) * C3 + h * hs + i, k = (b * T + u) * C3 + C + h * hs + i;
                            d[q] += dl[t][u] * qkv[k];
                            d[k] += dl[t][u] * qkv[q];
                            d[k + C] += p[t][u] * dout[(b * T + t) * C + h * hs + i];
                        }
                    }
                }
            }
        }
        for (int i = 0; i < d.length; i++) {
            dqkv[i] = (float) d[i];
        }
    }

    static void assertSameBits(String what, float[] expected, float[] actual) {
        Bits.assertSameBits(what, expected, actual);
    }

}
