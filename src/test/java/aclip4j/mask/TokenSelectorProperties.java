package aclip4j.mask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.kernel.Lanes;
import aclip4j.mask.TokenSelector.Selection;
import aclip4j.mask.TokenSelector.Strategy;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * SPEC §5.3–§5.5: the twins and every lane width pick the same tokens as a stable-sort oracle, for every strategy,
 * with heavy ties; the selection's invariants hold.
 */
class TokenSelectorProperties {
    @Provide
    Arbitrary<Integer> cellGrids() {
        return Arbitraries.of(1, 2, 3, 4, 5, 7, 8, 9, 14);
    }

    record Case(float[] scores, float[] noise, int B, int g, int r, Strategy strategy, int K, int mixedTop) {}

    /** levels 0: continuous scores; otherwise scores and noise from that many values, so ties are common. */
    private static Case draw(long seed, int B, int g, int r, Strategy strategy, int levels) {
        Random rnd = new Random(seed);
        int n = g * g;
        float[] scores = levels == 0 ? Oracles.uniform(rnd, B * n, 0f, 1f) : Oracles.discrete(rnd, B * n, levels);
        float[] noise = levels == 0 ? Oracles.uniform(rnd, B * n, 0f, 1f) : Oracles.discrete(rnd, B * n, levels);
        int K = 1 + rnd.nextInt(n);
        int mixedTop = rnd.nextInt(K + 1);
        return new Case(scores, noise, B, g, r, strategy, K, mixedTop);
    }

    private static Selection run(TokenSelector impl, Case c) {
        return impl.select(c.scores, c.noise, c.B, c.g, c.r, c.strategy, c.K, c.mixedTop);
    }

    @Property(tries = 100)
    void twinsAndLaneWidthsMatchTheStableSortOracle(@ForAll @IntRange(min = 1, max = 3) int B,
                                                    @ForAll("cellGrids") int g, @ForAll @IntRange(min = 1, max = 3) int r,
                                                    @ForAll Strategy strategy, @ForAll @IntRange(min = 0, max = 3) int levels,
                                                    @ForAll long seed) {
        Case c = draw(seed, B, g, r, strategy, levels);
        int n = g * g;
        int kept = c.K * r * r;
        int[] expected = new int[B * kept];
        for (int b = 0; b < B; b++) {
            int[] t = Oracles.tokens(Oracles.keptCells(c.scores, c.noise, b * n, n, strategy.id(),
                    c.K, c.mixedTop), g, r);
            System.arraycopy(t, 0, expected, b * kept, kept);
        }
        Selection nd4j = run(new Nd4jTokenSelector(), c);
        assertArrayEquals(expected, nd4j.keepIndex(), "nd4j vs oracle");
        for (Lanes lanes : Lanes.testWidths()) {
            Selection s = run(new SimdTokenSelector(lanes), c);
            assertArrayEquals(expected, s.keepIndex(), lanes + " vs oracle");
            assertArrayEquals(nd4j.keepMask(), s.keepMask(), lanes + " mask vs nd4j");
        }
    }

    @Property(tries = 100)
    void selectionInvariants(@ForAll @IntRange(min = 1, max = 3) int B, @ForAll("cellGrids") int g,
                             @ForAll @IntRange(min = 1, max = 3) int r, @ForAll Strategy strategy,
                             @ForAll @IntRange(min = 0, max = 3) int levels, @ForAll boolean useNd4j,
                             @ForAll long seed) {
        Case c = draw(seed, B, g, r, strategy, levels);
        Selection s = run(useNd4j ? new Nd4jTokenSelector() : new SimdTokenSelector(), c);
        int G = g * r;
        int N = G * G;
        int kept = c.K * r * r;
        assertEquals(kept, s.kept());
        assertEquals(N, s.N());
        assertEquals(B * kept, s.keepIndex().length);
        assertEquals(B * N, s.keepMask().length);
        for (int b = 0; b < B; b++) {
            int maskSum = 0;
            for (int t = 0; t < N; t++) {
                byte m = s.keepMask()[b * N + t];
                assertTrue(m == 0 || m == 1, "mask is 0/1");
                maskSum += m;
            }
            assertEquals(kept, maskSum, "mask sum of image " + b);
            for (int j = 0; j < kept; j++) {
                int t = s.keepIndex()[b * kept + j];
                assertTrue(t >= 0 && t < N, "index in range");
                assertEquals(1, s.keepMask()[b * N + t], "index " + t + " is in the mask");
                if (j > 0) {
                    assertTrue(t > s.keepIndex()[b * kept + j - 1], "strictly ascending, so unique");
                }
                // every kept token's whole cell is kept
                int cellRow = t / G / r;
                int cellCol = t % G / r;
                for (int a = 0; a < r; a++) {
                    for (int cc = 0; cc < r; cc++) {
                        assertEquals(1, s.keepMask()[b * N + (cellRow * r + a) * G + cellCol * r + cc]);
                    }
                }
            }
        }
    }

    /** With distinct scores and K = n/2, low and high keep complementary halves. */
    @Property(tries = 60)
    void lowAndHighAreComplementsAtHalf(@ForAll @IntRange(min = 1, max = 3) int B,
                                        @ForAll @IntRange(min = 1, max = 7) int halfG, @ForAll boolean useNd4j,
                                        @ForAll long seed) {
        int g = 2 * halfG; // n = g*g is even
        int n = g * g;
        Random rnd = new Random(seed);
        float[] scores = new float[B * n];
        for (int b = 0; b < B; b++) {
            System.arraycopy(Oracles.distinct(rnd, n), 0, scores, b * n, n);
        }
        TokenSelector impl = useNd4j ? new Nd4jTokenSelector() : new SimdTokenSelector();
        Selection low = impl.select(scores, null, B, g, 1, Strategy.DROP_LOW, n / 2, 0);
        Selection high = impl.select(scores, null, B, g, 1, Strategy.DROP_HIGH, n / 2, 0);
        for (int i = 0; i < B * n; i++) {
            assertEquals(1, low.keepMask()[i] + high.keepMask()[i], "cell " + i + " in exactly one half");
        }
    }

    /** mixed with mixedTop = K is low; with mixedTop = 0 it is random. */
    @Property(tries = 40)
    void mixedEndpoints(@ForAll @IntRange(min = 1, max = 2) int B, @ForAll("cellGrids") int g,
                        @ForAll @IntRange(min = 1, max = 2) int r, @ForAll @IntRange(min = 0, max = 3) int levels,
                        @ForAll boolean useNd4j, @ForAll long seed) {
        Case c = draw(seed, B, g, r, Strategy.MIXED, levels);
        TokenSelector impl = useNd4j ? new Nd4jTokenSelector() : new SimdTokenSelector();
        assertArrayEquals(impl.select(c.scores, c.noise, B, g, r, Strategy.DROP_LOW, c.K, 0).keepIndex(),
                impl.select(c.scores, c.noise, B, g, r, Strategy.MIXED, c.K, c.K).keepIndex());
        assertArrayEquals(impl.select(c.scores, c.noise, B, g, r, Strategy.RANDOM, c.K, 0).keepIndex(),
                impl.select(c.scores, c.noise, B, g, r, Strategy.MIXED, c.K, 0).keepIndex());
    }

    /** The vector rank kernel counts exactly what its scalar twin counts, with and without an eligibility mask. */
    @Property(tries = 100)
    void rankKernelMatchesScalar(@ForAll @IntRange(min = 1, max = 70) int n, @ForAll boolean descending,
                                 @ForAll boolean masked, @ForAll @IntRange(min = 0, max = 3) int levels,
                                 @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] v = levels == 0 ? Oracles.uniform(rnd, n + 3, 0f, 1f) : Oracles.discrete(rnd, n + 3, levels);
        boolean[] eligible = null;
        if (masked) {
            eligible = new boolean[n];
            for (int i = 0; i < n; i++) {
                eligible[i] = rnd.nextBoolean();
            }
        }
        for (Lanes lanes : Lanes.testWidths()) {
            for (int i = 0; i < n; i++) {
                assertEquals(SimdTokenSelector.rankScalar(v, 3, n, i, descending, eligible),
                        SimdTokenSelector.rank(lanes, v, 3, n, i, descending, eligible), lanes + " cell " + i);
            }
        }
        // without a mask the ranks are a permutation of 0..n-1
        if (!masked) {
            int[] ranks = new int[n];
            for (int i = 0; i < n; i++) {
                ranks[i] = SimdTokenSelector.rankScalar(v, 3, n, i, descending, null);
            }
            Arrays.sort(ranks);
            for (int i = 0; i < n; i++) {
                assertEquals(i, ranks[i]);
            }
        }
    }
}
