package aclip4j.mask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.mask.TokenSelector.Strategy;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-computed SPEC §5.3–§5.5 selections, tie cases and refusals, on both twins. */
class TokenSelectorTest {
    private static final List<TokenSelector> BOTH = List.of(new SimdTokenSelector(), new Nd4jTokenSelector());

    @Test
    void allTiedKeepsTheLowestCellsAndExpandsThem() {
        // g=2, r=2 (G=4): cell 0 = tokens 0,1,4,5; cell 1 = tokens 2,3,6,7
        float[] tied = {1, 1, 1, 1};
        for (TokenSelector impl : BOTH) {
            for (Strategy s : new Strategy[] {Strategy.DROP_LOW, Strategy.DROP_HIGH}) {
                TokenSelector.Selection sel = impl.select(tied, null, 1, 2, 2, s, 2, 0);
                assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, sel.keepIndex(), s.toString());
                assertArrayEquals(new byte[] {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0}, sel.keepMask());
            }
            // same with noise ties: random also goes to the lower cells
            assertArrayEquals(new int[] {0, 1, 4, 5}, impl.select(tied, tied, 1, 2, 2, Strategy.RANDOM, 1, 0).keepIndex());
        }
    }

    @Test
    void lowKeepsHighestHighKeepsLowest() {
        float[] scores = {0.1f, 0.5f, 0.5f, 0.2f};
        float[] noise = {0.9f, 0.3f, 0.1f, 0.3f};
        for (TokenSelector impl : BOTH) {
            assertArrayEquals(new int[] {1, 2}, impl.select(scores, noise, 1, 2, 1, Strategy.DROP_LOW, 2, 0).keepIndex());
            assertArrayEquals(new int[] {0, 3}, impl.select(scores, noise, 1, 2, 1, Strategy.DROP_HIGH, 2, 0).keepIndex());
            // one tied top score: cell 1 wins over cell 2
            assertArrayEquals(new int[] {1}, impl.select(scores, noise, 1, 2, 1, Strategy.DROP_LOW, 1, 0).keepIndex());
            // random: smallest noise 0.1 (cell 2), then 0.3 tied between cells 1 and 3 -> cell 1
            assertArrayEquals(new int[] {1, 2}, impl.select(scores, noise, 1, 2, 1, Strategy.RANDOM, 2, 0).keepIndex());
            // mixed, top 1 by score = cell 1; the rest {0,2,3} by noise: cell 2, then cell 3
            assertArrayEquals(new int[] {1, 2, 3}, impl.select(scores, noise, 1, 2, 1, Strategy.MIXED, 3, 1).keepIndex());
        }
    }

    /** -0.0 and 0.0 are equal values, so the lower index wins, whichever sign it has. */
    @Test
    void signedZerosTie() {
        float[] scores = {0f, -0f, 0f, 1f};
        for (TokenSelector impl : BOTH) {
            assertArrayEquals(new int[] {0, 3}, impl.select(scores, null, 1, 2, 1, Strategy.DROP_LOW, 2, 0).keepIndex());
            assertArrayEquals(new int[] {0}, impl.select(scores, null, 1, 2, 1, Strategy.DROP_HIGH, 1, 0).keepIndex());
            float[] flipped = {-0f, 0f, 0f, 1f};
            assertArrayEquals(new int[] {0, 1}, impl.select(flipped, null, 1, 2, 1, Strategy.DROP_HIGH, 2, 0).keepIndex());
        }
    }

    /** Two images are selected independently; the second image's indices are again 0-based. */
    @Test
    void batchImagesAreIndependent() {
        float[] scores = {1, 2, 3, 4, 4, 3, 2, 1};
        for (TokenSelector impl : BOTH) {
            TokenSelector.Selection s = impl.select(scores, null, 2, 2, 1, Strategy.DROP_LOW, 1, 0);
            assertArrayEquals(new int[] {3, 0}, s.keepIndex());
            assertArrayEquals(new byte[] {0, 0, 0, 1, 1, 0, 0, 0}, s.keepMask());
        }
    }

    @Test
    void refusesImpossibleInput() {
        float[] four = {0.1f, 0.2f, 0.3f, 0.4f};
        for (TokenSelector impl : BOTH) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> impl.select(new float[] {0f, Float.NaN, 1f, 2f}, null, 1, 2, 1, Strategy.DROP_LOW, 1, 0));
            assertTrue(e.getMessage().contains("NaN"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> impl.select(four, new float[] {Float.NaN, 0, 0, 0}, 1, 2, 1, Strategy.RANDOM, 1, 0));
            assertThrows(IllegalArgumentException.class, () -> impl.select(four, null, 1, 2, 1, Strategy.DROP_LOW, 0, 0));
            e = assertThrows(IllegalArgumentException.class, () -> impl.select(four, null, 1, 2, 1, Strategy.DROP_LOW, 5, 0));
            assertTrue(e.getMessage().contains("K=5"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> impl.select(four, four, 1, 2, 1, Strategy.MIXED, 2, 3));
            assertThrows(IllegalArgumentException.class, () -> impl.select(four, null, 1, 2, 1, Strategy.RANDOM, 2, 0));
            assertThrows(IllegalArgumentException.class, () -> impl.select(four, null, 1, 3, 1, Strategy.DROP_LOW, 2, 0));
        }
        assertThrows(IllegalArgumentException.class, () -> Strategy.parse("middle"));
        assertEquals(Strategy.MIXED, Strategy.parse("Mixed"));
    }

    @Test
    void keepCountAndDefaults() {
        assertEquals(25, TokenSelector.keepCount(49, TokenSelector.defaultKeepFraction(1)));  // official 25 of 49
        assertEquals(25, TokenSelector.keepCount(49, TokenSelector.defaultKeepFraction(2)));
        assertEquals(17, TokenSelector.keepCount(49, TokenSelector.defaultKeepFraction(3)));  // floor(16.33)+1
        assertEquals(13, TokenSelector.keepCount(49, TokenSelector.defaultKeepFraction(4)));  // floor(12.25)+1
        assertEquals(99, TokenSelector.keepCount(196, 0.5));
        assertEquals(49, TokenSelector.keepCount(49, 1.0));                                    // capped at n
        assertEquals(1, TokenSelector.keepCount(49, 0.0));
        assertEquals(0.5, TokenSelector.defaultKeepFraction(1));
        assertEquals(1.0 / 3, TokenSelector.defaultKeepFraction(3));
        assertEquals(12, TokenSelector.defaultMixedTopCells(49));                              // round(12.25)
        assertEquals(0, TokenSelector.defaultMixedTopCells(2));                                // round(0.5) = 0
        assertEquals(2, TokenSelector.defaultMixedTopCells(6));                                // round(1.5) = 2
        assertThrows(IllegalArgumentException.class, () -> TokenSelector.keepCount(49, 1.5));
        assertThrows(IllegalArgumentException.class, () -> TokenSelector.keepCount(49, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> TokenSelector.defaultKeepFraction(0));
    }
}
