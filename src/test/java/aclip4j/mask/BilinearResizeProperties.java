package aclip4j.mask;

import static org.junit.jupiter.api.Assertions.assertEquals;

import aclip4j.kernel.Lanes;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** SPEC §5.1: twins, lane widths and a float64 oracle agree; same size is the identity. */
class BilinearResizeProperties {
    @Provide
    Arbitrary<Integer> sizes() {
        return Arbitraries.of(1, 2, 3, 4, 5, 7, 8, 9, 13, 14, 15, 16, 17, 28, 31, 33);
    }

    @Property(tries = 100)
    void twinsAndFloat64OracleAgree(@ForAll @IntRange(min = 1, max = 3) int P, @ForAll("sizes") int inH,
                                    @ForAll("sizes") int inW, @ForAll("sizes") int outH, @ForAll("sizes") int outW,
                                    @ForAll long seed) {
        float[] x = Oracles.uniform(new Random(seed), P * inH * inW, -1f, 1f);
        float[] simd = new SimdBilinearResize().resize(x, P, inH, inW, outH, outW);
        float[] nd4j = new Nd4jBilinearResize().resize(x, P, inH, inW, outH, outW);
        double[] oracle = Oracles.resize(Oracles.toDoubles(x), P, inH, inW, outH, outW, true);
        double[] exact = Oracles.resize(Oracles.toDoubles(x), P, inH, inW, outH, outW, false);
        assertEquals(P * outH * outW, simd.length);
        // same float32 source positions: only the blend's few roundings (values in [-1,1]) remain
        Oracles.assertClose("simd vs float64", oracle, simd, 4e-7, 0);
        Oracles.assertClose("nd4j vs float64", oracle, nd4j, 4e-7, 0);
        Oracles.assertClose("nd4j vs simd", simd, nd4j, 4e-7, 0);
        // exact positions: a float32 position near 33 is off by up to 2^-19 on each axis, times |b-a| <= 2
        Oracles.assertClose("simd vs exact float64", exact, simd, 1e-5, 0);
    }

    @Property(tries = 80)
    void everyLaneWidthGivesTheScalarBits(@ForAll @IntRange(min = 1, max = 3) int P, @ForAll("sizes") int inH,
                                          @ForAll("sizes") int inW, @ForAll("sizes") int outH,
                                          @ForAll("sizes") int outW, @ForAll long seed) {
        float[] x = Oracles.gaussian(new Random(seed), P * inH * inW, 3.0);
        float[] scalar = new SimdBilinearResize(Lanes.SCALAR).resize(x, P, inH, inW, outH, outW);
        for (Lanes lanes : Lanes.testWidths()) {
            // products rounded then added, never fused: the lanes compute exactly what the scalar loop does
            Oracles.assertSameBits(lanes + " vs scalar", scalar,
                    new SimdBilinearResize(lanes).resize(x, P, inH, inW, outH, outW));
        }
    }

    @Property(tries = 60)
    void sameSizeIsIdentity(@ForAll @IntRange(min = 1, max = 3) int P, @ForAll("sizes") int h, @ForAll("sizes") int w,
                            @ForAll long seed) {
        float[] x = Oracles.gaussian(new Random(seed), P * h * w, 10.0);
        Oracles.assertSame("simd", x, new SimdBilinearResize().resize(x, P, h, w, h, w));
        Oracles.assertSame("nd4j", x, new Nd4jBilinearResize().resize(x, P, h, w, h, w));
    }

    /** Constant maps stay constant whatever the sizes (the two weights of each axis sum to one). */
    @Property(tries = 40)
    void constantStaysConstant(@ForAll("sizes") int inH, @ForAll("sizes") int inW, @ForAll("sizes") int outH,
                               @ForAll("sizes") int outW) {
        float[] x = new float[inH * inW];
        java.util.Arrays.fill(x, 0.375f);
        float[] expected = new float[outH * outW];
        java.util.Arrays.fill(expected, 0.375f);
        Oracles.assertClose("simd", expected, new SimdBilinearResize().resize(x, 1, inH, inW, outH, outW), 1e-7, 0);
        Oracles.assertClose("nd4j", expected, new Nd4jBilinearResize().resize(x, 1, inH, inW, outH, outW), 1e-7, 0);
    }
}
