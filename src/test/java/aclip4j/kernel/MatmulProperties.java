package aclip4j.kernel;

import static aclip4j.kernel.MatmulOracle.assertBits;
import static aclip4j.kernel.MatmulOracle.assertWithin;

import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link Matmul} on random shapes that hit every tail: 1, primes, multiples of the micro-tile (6 rows,
 * 2 or 4 vectors of 4, 8 or 16 lanes) plus or minus one, in all three dimensions, at every test width.
 *
 * <p>The vector path, its scalar specification and the oracle's fma chain in reduction order agree bit for bit
 * (docs/SPEC.md §13); every one of them sits within the float32 error bound of the float64 sum. The build runs
 * this class once per lane width, so together the runs show every width gives the same bits.
 */
class MatmulProperties {

    @Provide
    Arbitrary<Integer> dims() {
        return Arbitraries.oneOf(
                Arbitraries.of(1, 2, 3, 5, 6, 7, 11, 13, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 97, 127, 129),
                Arbitraries.integers().between(1, 140));
    }

    @Provide
    Arbitrary<Lanes> widths() {
        return Arbitraries.of(Lanes.testWidths());
    }

    @Property(tries = 120)
    void forwardMatchesFmaChainAndFloat64(@ForAll("dims") int BT, @ForAll("dims") int C, @ForAll("dims") int OC,
                                          @ForAll("widths") Lanes lanes, @ForAll boolean withBias,
                                          @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] inp = MatmulOracle.random(rnd, BT * C);
        float[] weight = MatmulOracle.random(rnd, OC * C);
        float[] bias = withBias ? MatmulOracle.random(rnd, OC) : null;
        float[] out = MatmulOracle.random(rnd, BT * OC); // garbage: forward must overwrite, not add
        String what = "forward " + lanes + " BT=" + BT + " C=" + C + " OC=" + OC + " bias=" + withBias;

        Matmul.matmulForward(lanes, out, inp, weight, bias, BT, C, OC);

        MatmulOracle.Ref ref = MatmulOracle.forward64(inp, weight, bias, BT, C, OC);
        assertWithin(what + " vs float64", ref, out);
        float[] scalar = new float[BT * OC];
        Matmul.matmulForwardScalar(scalar, inp, weight, bias, BT, C, OC);
        assertWithin(what + " scalar twin vs float64", ref, scalar);
        // docs/SPEC.md §13: the scalar specification, every width and the oracle's fma chain share every bit
        assertBits(what + " vs scalar specification", scalar, out);
        assertBits(what + " vs fma chain", MatmulOracle.forwardFma(inp, weight, bias, BT, C, OC), out);
    }

    @Property(tries = 120)
    void backwardAddsAndMatchesFmaChainAndFloat64(@ForAll("dims") int BT, @ForAll("dims") int C,
                                                  @ForAll("dims") int OC, @ForAll("widths") Lanes lanes,
                                                  @ForAll boolean wantDinp, @ForAll boolean wantDweight,
                                                  @ForAll boolean wantDbias, @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] inp = MatmulOracle.random(rnd, BT * C);
        float[] weight = MatmulOracle.random(rnd, OC * C);
        float[] dout = MatmulOracle.random(rnd, BT * OC);
        // Gradients already hold something: backward must add to it.
        float[] dinp0 = MatmulOracle.random(rnd, BT * C);
        float[] dweight0 = MatmulOracle.random(rnd, OC * C);
        float[] dbias0 = MatmulOracle.random(rnd, OC);
        float[] dinp = wantDinp ? dinp0.clone() : null;
        float[] dweight = wantDweight ? dweight0.clone() : null;
        float[] dbias = wantDbias ? dbias0.clone() : null;
        String what = "backward " + lanes + " BT=" + BT + " C=" + C + " OC=" + OC;

        Matmul.matmulBackward(lanes, dinp, dweight, dbias, dout, inp, weight, BT, C, OC);

        float[] sInp = wantDinp ? dinp0.clone() : null;
        float[] sWeight = wantDweight ? dweight0.clone() : null;
        float[] sBias = wantDbias ? dbias0.clone() : null;
        Matmul.matmulBackwardScalar(sInp, sWeight, sBias, dout, inp, weight, BT, C, OC);
        if (wantDinp) {
            MatmulOracle.Ref ref = MatmulOracle.dinp64(dinp0, dout, weight, BT, C, OC);
            assertWithin(what + " dinp vs float64", ref, dinp);
            assertWithin(what + " dinp scalar twin vs float64", ref, sInp);
            assertBits(what + " dinp vs scalar specification", sInp, dinp);
            assertBits(what + " dinp vs fma chain", MatmulOracle.dinpFma(dinp0, dout, weight, BT, C, OC), dinp);
        }
        if (wantDweight) {
            MatmulOracle.Ref ref = MatmulOracle.dweight64(dweight0, dout, inp, BT, C, OC);
            assertWithin(what + " dweight vs float64", ref, dweight);
            assertWithin(what + " dweight scalar twin vs float64", ref, sWeight);
            assertBits(what + " dweight vs scalar specification", sWeight, dweight);
            assertBits(what + " dweight vs fma chain",
                    MatmulOracle.dweightFma(dweight0, dout, inp, BT, C, OC), dweight);
        }
        if (wantDbias) {
            // Same additions in the same order as the scalar loop, at every width.
            float[] expected = MatmulOracle.dbiasChain(dbias0, dout, BT, OC);
            assertBits(what + " dbias vs chain", expected, dbias);
            assertBits(what + " dbias scalar twin vs chain", expected, sBias);
        }
    }

    /**
     * {@link Matmul#matmulBackwardSet} overwrites dinp, whatever it held (NaN here), with the bits of
     * {@link Matmul#matmulBackward} on a zeroed dinp; dweight and dbias are added to as before.
     */
    @Property(tries = 60)
    void backwardSetGivesTheBitsOfAddingToZero(@ForAll("dims") int BT, @ForAll("dims") int C,
                                              @ForAll("dims") int OC, @ForAll("widths") Lanes lanes,
                                              @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] inp = MatmulOracle.random(rnd, BT * C);
        float[] weight = MatmulOracle.random(rnd, OC * C);
        float[] dout = MatmulOracle.random(rnd, BT * OC);
        float[] dweight0 = MatmulOracle.random(rnd, OC * C);
        float[] dbias0 = MatmulOracle.random(rnd, OC);
        float[] dinp = new float[BT * C], dweight = dweight0.clone(), dbias = dbias0.clone();
        Matmul.matmulBackward(lanes, dinp, dweight, dbias, dout, inp, weight, BT, C, OC);
        float[] setDinp = new float[BT * C], setDweight = dweight0.clone(), setDbias = dbias0.clone();
        java.util.Arrays.fill(setDinp, Float.NaN);
        Matmul.matmulBackwardSet(lanes, setDinp, setDweight, setDbias, dout, inp, weight, BT, C, OC);
        String what = "backwardSet " + lanes + " BT=" + BT + " C=" + C + " OC=" + OC;
        assertBits(what + " dinp", dinp, setDinp);
        assertBits(what + " dweight", dweight, setDweight);
        assertBits(what + " dbias", dbias, setDbias);
    }
}
