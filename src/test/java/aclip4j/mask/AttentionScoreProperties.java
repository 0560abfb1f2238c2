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
        return Arbitraries.of(2, 3, 4, 5, 8, 9, 16, 17, 18, 32, 34, 50);
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
    void everyLaneWidthMatchesScalar(@ForAll @IntRange(min = 1, max = 2) int L, @ForAll @IntRange(min = 1, max = 2) int B,
                                     @ForAll @IntRange(min = 1, max = 3) int H, @ForAll("tokens") int T,
                                     @ForAll("sizes") int hs, @ForAll boolean last, @ForAll long seed) {
        Case c = draw(seed, L, B, H, T, hs, 1.0);
        Layers layers = last ? Layers.LAST : Layers.ALL;
        float[] scalar = new SimdAttentionScore(Lanes.of(0)).fromQueryKey(c.q, c.k, L, B, H, T, hs, layers);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] v = new SimdAttentionScore(lanes).fromQueryKey(c.q, c.k, L, B, H, T, hs, layers);
            // only the dot products add in a different order, so the scores differ by a few float32 ulps at most
            Oracles.assertClose(lanes + " vs scalar", scalar, v, 1e-7, 1e-5);
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
        float[] scalar = new SimdAttentionScore(Lanes.of(0)).fromClsAttention(probs, L, B, H, T, layers);
        for (Lanes lanes : Lanes.testWidths()) {
            // element-wise adds in the same order at every width: identical bits
            Oracles.assertSame(lanes + " vs scalar", scalar,
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
