package aclip4j.mask;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.kernel.Lanes;
import aclip4j.mask.AttentionScore.Layers;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** SPEC §3: the SIMD and ND4J twins, every lane width, and a float64 oracle agree; rows sum to 1 - CLS weight. */
class AttentionScoreProperties {
    @Provide
    Arbitrary<Integer> tokens() {
        return Arbitraries.of(2, 3, 4, 5, 8, 9, 15, 16, 17, 18, 31, 32, 33, 34, 50);
    }

    @Provide
    Arbitrary<Integer> sizes() {
        return Arbitraries.of(1, 2, 3, 5, 7, 15, 16, 17, 31, 33);
    }

    record Case(float[] q, float[] k, int L, int B, int H, int T, int hs) {}

    private static Case draw(long seed, int L, int B, int H, int T, int hs, double std) {
        Random rnd = new Random(seed);
        int n = L * B * H * T * hs;
        return new Case(Oracles.gaussian(rnd, n, std), Oracles.gaussian(rnd, n, std), L, B, H, T, hs);
    }

    @Property(tries = 80)
    void simdMatchesNd4jAndFloat64(@ForAll @IntRange(min = 1, max = 3) int L, @ForAll @IntRange(min = 1, max = 3) int B,
                                   @ForAll @IntRange(min = 1, max = 3) int H, @ForAll("tokens") int T,
                                   @ForAll("sizes") int hs, @ForAll boolean last, @ForAll long seed) {
        Case c = draw(seed, L, B, H, T, hs, 1.0);
        Layers layers = last ? Layers.LAST : Layers.ALL;
        float[] simd = new SimdAttentionScore().fromQueryKey(c.q, c.k, L, B, H, T, hs, layers);
        float[] nd4j = new Nd4jAttentionScore().fromQueryKey(c.q, c.k, L, B, H, T, hs, layers);
        double[] oracle = Oracles.attentionScore(c.q, c.k, L, B, H, T, hs, last);
        assertEquals(B * (T - 1), simd.length);
        Oracles.assertClose("simd vs float64", oracle, simd, 1e-6, 1e-4);
        Oracles.assertClose("nd4j vs float64", oracle, nd4j, 1e-6, 1e-4);
        Oracles.assertClose("nd4j vs simd", simd, nd4j, 1e-6, 1e-4);
    }

    @Property(tries = 60)
    void everyLaneWidthGivesTheScalarBits(@ForAll @IntRange(min = 1, max = 2) int L,
                                          @ForAll @IntRange(min = 1, max = 2) int B,
                                          @ForAll @IntRange(min = 1, max = 3) int H, @ForAll("tokens") int T,
                                          @ForAll("sizes") int hs, @ForAll boolean last, @ForAll long seed) {
        Case c = draw(seed, L, B, H, T, hs, 1.0);
        Layers layers = last ? Layers.LAST : Layers.ALL;
        float[] scalar = new SimdAttentionScore(Lanes.SCALAR).fromQueryKey(c.q, c.k, L, B, H, T, hs, layers);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] v = new SimdAttentionScore(lanes).fromQueryKey(c.q, c.k, L, B, H, T, hs, layers);
            // dot products and the softmax sum in the canonical 16-partial order (SPEC §13): the scalar bits
            Oracles.assertSameBits(lanes + " vs scalar, T=" + T + " hs=" + hs, scalar, v);
        }
    }

    /** The softmax kernel alone, on rows that hit every tail (n = 1 included), with wide logits. */
    @Property(tries = 60)
    void softmaxEveryLaneWidthGivesTheScalarBits(@ForAll("sizes") int n, @ForAll long seed) {
        Random rnd = new Random(seed);
        for (int extra : new int[] {0, 32, 64}) { // also past two and four blocks of 16
            float[] x = Oracles.gaussian(rnd, n + extra + 3, 8.0);
            float[] scalar = x.clone();
            SimdAttentionScore.softmaxInPlace(Lanes.SCALAR, scalar, 3, n + extra);
            for (Lanes lanes : Lanes.testWidths()) {
                float[] v = x.clone();
                SimdAttentionScore.softmaxInPlace(lanes, v, 3, n + extra);
                Oracles.assertSameBits(lanes + " softmax vs scalar, n=" + (n + extra), scalar, v);
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n + extra; i++) {
                max = Math.max(max, x[3 + i]);
            }
            double sum = 0;
            for (int i = 0; i < n + extra; i++) {
                sum += Math.exp(x[3 + i] - max);
            }
            for (int i = 0; i < n + extra; i++) {
                double p = Math.exp(x[3 + i] - max) / sum;
                assertEquals(p, scalar[3 + i], 1e-5 * p + 1e-30, "softmax vs float64 at " + i);
            }
        }
    }

    @Property(tries = 60)
    void rowsSumToOneMinusClsSelfWeight(@ForAll @IntRange(min = 1, max = 3) int L, @ForAll @IntRange(min = 1, max = 3) int B,
                                        @ForAll @IntRange(min = 1, max = 3) int H, @ForAll("tokens") int T,
                                        @ForAll("sizes") int hs, @ForAll boolean last, @ForAll long seed) {
        Case c = draw(seed, L, B, H, T, hs, 2.0);
        Layers layers = last ? Layers.LAST : Layers.ALL;
        int N = T - 1;
        double scale = 1.0 / Math.sqrt(hs);
        for (AttentionScore impl : new AttentionScore[] {new SimdAttentionScore(), new Nd4jAttentionScore()}) {
            float[] s = impl.fromQueryKey(c.q, c.k, L, B, H, T, hs, layers);
            for (int b = 0; b < B; b++) {
                double self = 0;
                int first = last ? L - 1 : 0;
                for (int l = first; l < L; l++) {
                    for (int h = 0; h < H; h++) {
                        self += Oracles.clsRow(c.q, c.k, l, b, h, B, H, T, hs, scale)[0];
                    }
                }
                self /= (L - first) * H;
                double row = 0;
                for (int i = 0; i < N; i++) {
                    assertTrue(s[b * N + i] >= 0, "scores are probabilities");
                    row += s[b * N + i];
                }
                assertTrue(row <= 1 + 1e-5, "row sum " + row + " exceeds 1");
                assertEquals(1 - self, row, 2e-5, impl.getClass().getSimpleName() + " image " + b);
            }
        }
    }

    @Property(tries = 60)
    void fromClsAttentionTwinsAgree(@ForAll @IntRange(min = 1, max = 4) int L, @ForAll @IntRange(min = 1, max = 3) int B,
                                    @ForAll @IntRange(min = 1, max = 4) int H, @ForAll("tokens") int T,
                                    @ForAll boolean last, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] probs = Oracles.uniform(rnd, L * B * H * T, 0f, 1f);
        Layers layers = last ? Layers.LAST : Layers.ALL;
        float[] scalar = new SimdAttentionScore(Lanes.SCALAR).fromClsAttention(probs, L, B, H, T, layers);
        for (Lanes lanes : Lanes.testWidths()) {
            // element-wise adds in the same order at every width: identical bits
            Oracles.assertSameBits(lanes + " vs scalar", scalar,
                    new SimdAttentionScore(lanes).fromClsAttention(probs, L, B, H, T, layers));
        }
        Oracles.assertClose("nd4j vs simd", scalar,
                new Nd4jAttentionScore().fromClsAttention(probs, L, B, H, T, layers), 1e-7, 1e-5);
        // the patch columns of the CLS row, averaged: a direct double computation
        int first = last ? L - 1 : 0;
        int N = T - 1;
        double[] expected = new double[B * N];
        for (int l = first; l < L; l++) {
            for (int b = 0; b < B; b++) {
                for (int h = 0; h < H; h++) {
                    for (int i = 0; i < N; i++) {
                        expected[b * N + i] += probs[((l * B + b) * H + h) * T + 1 + i] / (double) ((L - first) * H);
                    }
                }
            }
        }
        Oracles.assertClose("simd vs float64", expected, scalar, 1e-6, 1e-5);
    }
}
