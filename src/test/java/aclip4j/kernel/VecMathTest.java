package aclip4j.kernel;

import static aclip4j.kernel.KernelLanesProperties.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The canonical summation order of docs/SPEC.md §13: {@link VecMath#tree16} is the written-out halving tree, and
 * {@link Vec}'s reductions (vector accumulators stored into {@link VecMath#partials}, then that tree) give their
 * scalar specification's bits at every width, on lengths that hit every tail.
 */
class VecMathTest {

    @Provide
    Arbitrary<Integer> lengths() {
        return Arbitraries.of(0, 1, 2, 3, 5, 7, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 127, 129);
    }

    /** Floats of random sign and magnitude over eight decades, so that a different order rounds differently. */
    private static float[] spread(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) ((r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(8)));
        }
        return x;
    }

    @Example
    void tree16IsTheHalvingTree() {
        SplittableRandom r = new SplittableRandom(7);
        float[] p = new float[16];
        for (int trial = 0; trial < 1000; trial++) {
            for (int i = 0; i < p.length; i++) {
                p[i] = (float) ((r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(8)));
            }
            float want = (((p[0] + p[8]) + (p[4] + p[12])) + ((p[2] + p[10]) + (p[6] + p[14])))
                    + (((p[1] + p[9]) + (p[5] + p[13])) + ((p[3] + p[11]) + (p[7] + p[15])));
            float got = VecMath.tree16(p.clone());
            assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got), "tree16 trial " + trial);
        }
    }

    @Property(tries = 60)
    void sumIsTheSpecification(@ForAll("lengths") int n, @ForAll long seed) {
        Random r = new Random(seed);
        int o = r.nextInt(5); // an offset, so rows need not start at 0
        float[] x = spread(r, o + n);
        float want = Vec.sumScalar(x, o, n);
        for (Lanes lanes : Lanes.testWidths()) {
            assertSameBits("sum n=" + n + " " + lanes, new float[] {want}, new float[] {Vec.sum(lanes, x, o, n)});
        }
    }

    @Property(tries = 60)
    void dotIsTheSpecification(@ForAll("lengths") int n, @ForAll long seed) {
        Random r = new Random(seed);
        int ao = r.nextInt(5), bo = r.nextInt(5);
        float[] a = spread(r, ao + n), b = spread(r, bo + n);
        float want = Vec.dotScalar(a, ao, b, bo, n);
        for (Lanes lanes : Lanes.testWidths()) {
            assertSameBits("dot n=" + n + " " + lanes, new float[] {want},
                    new float[] {Vec.dot(lanes, a, ao, b, bo, n)});
        }
    }

    @Property(tries = 60)
    void sumSquaredDeviationsIsTheSpecification(@ForAll("lengths") int n, @ForAll long seed) {
        Random r = new Random(seed);
        int o = r.nextInt(5);
        float[] x = spread(r, o + n);
        float m = (float) r.nextGaussian() * 100;
        float want = Vec.sumSquaredDeviationsScalar(x, o, n, m);
        for (Lanes lanes : Lanes.testWidths()) {
            assertSameBits("sumSquaredDeviations n=" + n + " " + lanes, new float[] {want},
                    new float[] {Vec.sumSquaredDeviations(lanes, x, o, n, m)});
        }
    }

    @Property(tries = 60)
    void expShiftedIsTheSpecification(@ForAll("lengths") int n, @ForAll long seed) {
        Random r = new Random(seed);
        int xo = r.nextInt(5), yo = r.nextInt(5);
        float[] x = new float[xo + n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 30); // reaches the clamps and the denormal results
        }
        float shift = (float) r.nextGaussian() * 5;
        float[] want = new float[yo + n];
        float wantSum = Vec.expShiftedScalar(x, xo, want, yo, n, shift);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] y = new float[yo + n];
            float sum = Vec.expShifted(lanes, x, xo, y, yo, n, shift);
            assertSameBits("expShifted n=" + n + " " + lanes, want, y);
            assertSameBits("expShifted sum n=" + n + " " + lanes, new float[] {wantSum}, new float[] {sum});
        }
    }

    /** In place (GELU's use): the last vector may not be recomputed over exponentials already stored. */
    @Property(tries = 60)
    void expInPlaceIsTheSpecification(@ForAll("lengths") int n, @ForAll long seed) {
        Random r = new Random(seed);
        int o = r.nextInt(5);
        float[] x = new float[o + n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 3);
        }
        float shift = (float) r.nextGaussian();
        float[] want = x.clone();
        Vec.exp(Lanes.SCALAR, want, o, want, o, n, shift);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] y = x.clone();
            Vec.exp(lanes, y, o, y, o, n, shift);
            assertSameBits("exp in place n=" + n + " " + lanes, want, y);
        }
    }

    @Property(tries = 60)
    void maxIsTheSpecification(@ForAll("lengths") int n, @ForAll long seed) {
        Random r = new Random(seed);
        int o = r.nextInt(5);
        float[] x = spread(r, o + n);
        float want = Vec.maxScalar(x, o, n);
        for (Lanes lanes : Lanes.testWidths()) {
            assertSameBits("max n=" + n + " " + lanes, new float[] {want}, new float[] {Vec.max(lanes, x, o, n)});
        }
    }
}
