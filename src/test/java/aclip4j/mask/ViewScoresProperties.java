package aclip4j.mask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.kernel.Lanes;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** SPEC §5.1 view scores: twins, lane widths and a float64 oracle agree, including views leaving the EMA box. */
class ViewScoresProperties {
    private static final List<ViewScores> BOTH = List.of(new SimdViewScores(), new Nd4jViewScores());

    @Provide
    Arbitrary<Integer> grids() {
        return Arbitraries.of(1, 2, 3, 4, 7, 14, 16, 17);
    }

    record Boxes(int[] ema, int[] view) {}

    /** EMA box of 1..48 pixels per side; the view anywhere from inside to partly or wholly outside it. */
    private static Boxes boxes(Random rnd, int B) {
        int[] ema = new int[4 * B];
        int[] view = new int[4 * B];
        for (int b = 0; b < B; b++) {
            ema[4 * b] = rnd.nextInt(20);
            ema[4 * b + 1] = rnd.nextInt(20);
            ema[4 * b + 2] = 1 + rnd.nextInt(48);
            ema[4 * b + 3] = 1 + rnd.nextInt(48);
            view[4 * b] = Math.max(0, ema[4 * b] + rnd.nextInt(ema[4 * b + 2] + 10) - 5);
            view[4 * b + 1] = Math.max(0, ema[4 * b + 1] + rnd.nextInt(ema[4 * b + 3] + 10) - 5);
            view[4 * b + 2] = 1 + rnd.nextInt(40);
            view[4 * b + 3] = 1 + rnd.nextInt(40);
        }
        return new Boxes(ema, view);
    }

    @Property(tries = 50)
    void twinsAndFloat64OracleAgree(@ForAll @IntRange(min = 1, max = 3) int B, @ForAll("grids") int Ge,
                                    @ForAll("grids") int G, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] map = Oracles.uniform(rnd, B * Ge * Ge, 0f, 1f);
        Boxes bx = boxes(rnd, B);
        float[] simd = new SimdViewScores().viewScores(map, B, Ge, bx.ema, bx.view, G);
        float[] nd4j = new Nd4jViewScores().viewScores(map, B, Ge, bx.ema, bx.view, G);
        double[] oracle = Oracles.viewScores(map, B, Ge, bx.ema, bx.view, G);
        Oracles.assertClose("simd vs float64", oracle, simd, 1e-6, 0);
        Oracles.assertClose("nd4j vs float64", oracle, nd4j, 1e-6, 0);
        Oracles.assertClose("nd4j vs simd", simd, nd4j, 1e-6, 0);
    }

    @Property(tries = 60)
    void everyLaneWidthGivesTheScalarBits(@ForAll @IntRange(min = 1, max = 2) int B, @ForAll("grids") int Ge,
                                          @ForAll("grids") int G, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] map = Oracles.uniform(rnd, B * Ge * Ge, 0f, 1f);
        Boxes bx = boxes(rnd, B);
        float[] scalar = new SimdViewScores(Lanes.SCALAR).viewScores(map, B, Ge, bx.ema, bx.view, G);
        for (Lanes lanes : Lanes.testWidths()) {
            Oracles.assertSameBits(lanes + " vs scalar", scalar,
                    new SimdViewScores(lanes).viewScores(map, B, Ge, bx.ema, bx.view, G));
        }
    }

    /** EMA box Ge x Ge pixels and an equal view box: both resizes are identities, so Sv = M. */
    @Property(tries = 30)
    void sameBoxAndSizeReturnsTheMap(@ForAll("grids") int Ge, @ForAll @IntRange(min = 0, max = 50) int top,
                                     @ForAll long seed) {
        float[] map = Oracles.uniform(new Random(seed), Ge * Ge, 0f, 1f);
        int[] box = {top, 3, Ge, Ge};
        for (ViewScores impl : BOTH) {
            Oracles.assertSame(impl.getClass().getSimpleName(), map, impl.viewScores(map, 1, Ge, box, box, Ge));
        }
    }

    /** A 4x4 EMA box at (10,20) holding M; view (12,19,4,4) reads rows 2..3 and columns -1..2 of M, zeros elsewhere. */
    @Test
    void shiftedViewFillsZerosOutsideTheEmaBox() {
        float[] m = new float[16];
        for (int i = 0; i < 16; i++) {
            m[i] = i + 1;
        }
        float[] expected = {
            0, 9, 10, 11,
            0, 13, 14, 15,
            0, 0, 0, 0,
            0, 0, 0, 0};
        for (ViewScores impl : BOTH) {
            assertArrayEquals(expected, impl.viewScores(m, 1, 4, new int[] {10, 20, 4, 4}, new int[] {12, 19, 4, 4}, 4),
                    0f, impl.getClass().getSimpleName());
        }
    }

    @Test
    void viewOutsideTheEmaBoxScoresZero() {
        float[] m = {1, 2, 3, 4};
        for (ViewScores impl : BOTH) {
            float[] s = impl.viewScores(m, 1, 2, new int[] {0, 0, 10, 10}, new int[] {30, 0, 5, 5}, 3);
            assertArrayEquals(new float[9], s, 0f);
        }
    }

    /**
     * A 2x2 map on a 4x4 EMA box (the 2 -> 4 upsampling of BilinearResizeTest), viewed through its top-left 2x2
     * pixels and resized back to 2x2: rows/cols (1, 1.25 | 1.5, 1.75) resized 2 -> 2 unchanged.
     */
    @Test
    void twoStepResampleByHand() {
        float[] m = {1, 2, 3, 4};
        for (ViewScores impl : BOTH) {
            assertArrayEquals(new float[] {1f, 1.25f, 1.5f, 1.75f},
                    impl.viewScores(m, 1, 2, new int[] {5, 5, 4, 4}, new int[] {5, 5, 2, 2}, 2), 0f);
        }
    }

    @Test
    void refusesBadBoxes() {
        float[] m = new float[4];
        for (ViewScores impl : BOTH) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> impl.viewScores(m, 1, 2, new int[] {0, 0, 0, 4}, new int[] {0, 0, 2, 2}, 2));
            assertTrue(e.getMessage().contains("ema_box"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> impl.viewScores(m, 1, 2, new int[] {0, 0, 4, 4}, new int[] {0, 0, 2, -1}, 2));
            assertTrue(e.getMessage().contains("view_box"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> impl.viewScores(m, 1, 2, new int[] {0, 0, 4, 4}, new int[] {0, 0, 2}, 2));
            assertThrows(IllegalArgumentException.class,
                    () -> impl.viewScores(m, 1, 2, new int[] {0, 0, 4, 4}, new int[] {0, 0, 2, 2}, 0));
            assertThrows(IllegalArgumentException.class,
                    () -> impl.viewScores(new float[] {0, Float.NaN, 0, 0}, 1, 2, new int[] {0, 0, 4, 4},
                            new int[] {0, 0, 2, 2}, 2));
        }
    }
}
