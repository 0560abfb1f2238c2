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

/** SPEC §5.2 cell pooling: twins, lane widths, a float64 oracle, r = 1 identity and the official r = 2 resize. */
class CellPoolingProperties {
    private static final List<CellPooling> BOTH = List.of(new SimdCellPooling(), new Nd4jCellPooling());

    @Provide
    Arbitrary<Integer> cellGrids() {
        return Arbitraries.of(1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33);
    }

    @Property(tries = 100)
    void twinsAndFloat64OracleAgree(@ForAll @IntRange(min = 1, max = 3) int B, @ForAll("cellGrids") int g,
                                    @ForAll @IntRange(min = 1, max = 4) int r, @ForAll boolean ties,
                                    @ForAll long seed) {
        int G = g * r;
        Random rnd = new Random(seed);
        float[] s = ties ? Oracles.discrete(rnd, B * G * G, 3) : Oracles.uniform(rnd, B * G * G, 0f, 1f);
        float[] simd = new SimdCellPooling().pool(s, B, G, r);
        float[] nd4j = new Nd4jCellPooling().pool(s, B, G, r);
        double[] oracle = Oracles.pool(s, B, G, r);
        Oracles.assertClose("simd vs float64", oracle, simd, 3e-7, 1e-6);
        Oracles.assertClose("nd4j vs float64", oracle, nd4j, 3e-7, 1e-6);
        Oracles.assertClose("nd4j vs simd", simd, nd4j, 3e-7, 1e-6);
    }

    @Property(tries = 80)
    void everyLaneWidthGivesTheScalarBits(@ForAll @IntRange(min = 1, max = 2) int B, @ForAll("cellGrids") int g,
                                          @ForAll @IntRange(min = 1, max = 4) int r, @ForAll long seed) {
        int G = g * r;
        float[] s = Oracles.gaussian(new Random(seed), B * G * G, 1.0);
        float[] scalar = new SimdCellPooling(Lanes.SCALAR).pool(s, B, G, r);
        for (Lanes lanes : Lanes.testWidths()) {
            Oracles.assertSameBits(lanes + " vs scalar", scalar, new SimdCellPooling(lanes).pool(s, B, G, r));
        }
    }

    @Property(tries = 40)
    void cellOfOnePatchIsIdentity(@ForAll @IntRange(min = 1, max = 3) int B, @ForAll("cellGrids") int G,
                                  @ForAll long seed) {
        float[] s = Oracles.gaussian(new Random(seed), B * G * G, 1.0);
        for (CellPooling impl : BOTH) {
            Oracles.assertSame(impl.getClass().getSimpleName(), s, impl.pool(s, B, G, 1));
        }
    }

    /** §5.2: the official 14 -> 7 bilinear resize is exactly the 2 x 2 mean, bit for bit, for any even G. */
    @Property(tries = 60)
    void twoByTwoMeanIsTheHalvingBilinearResize(@ForAll @IntRange(min = 1, max = 3) int B,
                                                @ForAll("cellGrids") int g, @ForAll long seed) {
        int G = 2 * g;
        float[] s = Oracles.uniform(new Random(seed), B * G * G, 0f, 1f);
        float[] resized = new SimdBilinearResize().resize(s, B, G, G, g, g);
        Oracles.assertSame("simd pooling vs resize", resized, new SimdCellPooling().pool(s, B, G, 2));
    }

    @Test
    void handComputedBlocks() {
        float[] s = {
            1, 2, 3, 4,
            5, 6, 7, 8,
            9, 10, 11, 12,
            13, 14, 15, 16};
        for (CellPooling impl : BOTH) {
            assertArrayEquals(new float[] {3.5f, 5.5f, 11.5f, 13.5f}, impl.pool(s, 1, 4, 2), 0f);
            assertArrayEquals(new float[] {8.5f}, impl.pool(s, 1, 4, 4), 0f);
        }
    }

    @Test
    void refusesCellsThatDoNotDivideTheGrid() {
        for (CellPooling impl : BOTH) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> impl.pool(new float[196], 1, 14, 3));
            assertTrue(e.getMessage().contains("14") && e.getMessage().contains("3"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> impl.pool(new float[16], 1, 4, 0));
            assertThrows(IllegalArgumentException.class, () -> impl.pool(new float[15], 1, 4, 2));
        }
    }
}
