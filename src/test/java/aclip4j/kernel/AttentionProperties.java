package aclip4j.kernel;

import static aclip4j.kernel.GradCheck.assertClose;
import static aclip4j.kernel.GradCheck.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Attention at head sizes that take the 512-bit blocked path (hs a multiple of 16: one, several and a non-multiple
 * of four 16-lane vectors), sequence lengths around the 4-query block and the 16-key vector, against the scalar
 * twin at every width; and the same bits for 1, 2 and 3 threads (one task per (batch, head)).
 */
class AttentionProperties {

    @Provide
    Arbitrary<Integer> headSizes() {
        return Arbitraries.of(16, 32, 48, 64, 80, 128, 15, 17);
    }

    @Provide
    Arbitrary<Integer> lengths() {
        return Arbitraries.of(1, 2, 3, 4, 5, 7, 15, 16, 17, 33, 65, 70);
    }

    @Property(tries = 40)
    void matchesScalarTwin(@ForAll("headSizes") int hs, @ForAll("lengths") int T, @ForAll boolean causal,
                           @ForAll long seed) {
        Random r = new Random(seed);
        int B = 2, NH = 3, C = NH * hs;
        float[] qkv = randn(r, B * T * 3 * C, 1), dout = randn(r, B * T * C, 1);
        float[] out0 = new float[B * T * C], att0 = new float[B * NH * T * T];
        Attention.attentionForwardScalar(out0, att0, qkv, B, T, C, NH, causal);
        float[] d0 = randn(r, qkv.length, 1);
        float[] dStart = d0.clone();
        Attention.attentionBackwardScalar(d0, dout, qkv, att0, B, T, C, NH, causal);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] out = new float[B * T * C], att = new float[B * NH * T * T];
            java.util.Arrays.fill(out, Float.NaN); // every element must be written
            java.util.Arrays.fill(att, Float.NaN);
            Attention.attentionForward(lanes, out, att, qkv, B, T, C, NH, causal);
            assertClose("attention out " + lanes + " hs=" + hs + " T=" + T, out0, out, 1e-5, 1e-4);
            assertClose("attention probabilities " + lanes, att0, att, 1e-6, 1e-4);
            float[] d = dStart.clone();
            Attention.attentionBackward(lanes, d, dout, qkv, att, B, T, C, NH, causal);
            assertClose("attention dqkv " + lanes, d0, d, 1e-4, 1e-3);
        }
    }

    @Property(tries = 15)
    void sameBitsForAnyThreadCount(@ForAll("headSizes") int hs, @ForAll("lengths") int T, @ForAll boolean causal,
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
                    assertArrayEquals(out1, out, "out, " + threads + " threads");
                    assertArrayEquals(att1, att, "att, " + threads + " threads");
                    assertArrayEquals(d1, d, "dqkv, " + threads + " threads");
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }
}
