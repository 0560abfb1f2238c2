package aclip4j.ema;

import aclip4j.kernel.Bits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import aclip4j.kernel.Lanes;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** SPEC §7: the SIMD kernel at every width and the ND4J twin give the scalar loop's bits. */
class EmaUpdateProperties {

    @Provide
    Arbitrary<Integer> lengths() {
        return Arbitraries.of(0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 1000);
    }

    @Provide
    Arbitrary<Double> momenta() {
        return Arbitraries.oneOf(Arbitraries.of(0.0, 1.0, 0.5, 0.996, 0.9999, 1e-7),
                Arbitraries.doubles().between(0.0, 1.0));
    }

    static float[] randomFloats(SplittableRandom rng, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) ((rng.nextDouble() * 2 - 1) * scale);
        }
        return x;
    }

    /** The plain scalar meaning, written out here independently of the kernels. */
    static float[] expected(float[] teacher, float[] student, double momentum) {
        float m = (float) momentum;
        float om = (float) (1.0 - momentum);
        float[] out = new float[teacher.length];
        for (int i = 0; i < out.length; i++) {
            float a = teacher[i] * m;
            float b = student[i] * om;
            out[i] = a + b;
        }
        return out;
    }

    @Property(tries = 60)
    void everyWidthGivesTheScalarBits(@ForAll("lengths") int n, @ForAll("momenta") double momentum,
                                      @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] teacher = randomFloats(rng, n, 3.0);
        float[] student = randomFloats(rng, n, 3.0);
        float[] want = expected(teacher, student, momentum);
        float[] scalar = teacher.clone();
        new SimdEmaUpdate(Lanes.SCALAR).update(scalar, student, momentum);
        assertSameBits("scalar vs the unfused formula, n=" + n + " m=" + momentum, want, scalar);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] t = teacher.clone();
            new SimdEmaUpdate(lanes).update(t, student, momentum);
            assertSameBits(lanes + " vs scalar, n=" + n + " m=" + momentum, scalar, t);
        }
    }

    /** Arrays longer than one {@link SimdEmaUpdate#CHUNK} are split for the threads: 1, 2 or 3 give the same bits. */
    @Property(tries = 4)
    void rangesOnThreadsGiveTheScalarBits(@ForAll("momenta") double momentum, @ForAll long seed) {
        int before = aclip4j.kernel.Parallel.threads();
        try {
            for (int n : new int[] {SimdEmaUpdate.CHUNK + 1, 3 * SimdEmaUpdate.CHUNK - 1}) {
                SplittableRandom rng = new SplittableRandom(seed + n);
                float[] teacher = randomFloats(rng, n, 3.0);
                float[] student = randomFloats(rng, n, 3.0);
                float[] want = expected(teacher, student, momentum);
                for (int threads : new int[] {1, 2, 3}) {
                    aclip4j.kernel.Parallel.setThreads(threads);
                    for (Lanes lanes : Lanes.testWidths()) {
                        float[] t = teacher.clone();
                        new SimdEmaUpdate(lanes).update(t, student, momentum);
                        assertSameBits(lanes + ", " + threads + " threads, n=" + n, want, t);
                    }
                }
            }
        } finally {
            aclip4j.kernel.Parallel.setThreads(before);
        }
    }

    static void assertSameBits(String what, float[] expected, float[] actual) {
        Bits.assertSameBits(what, expected, actual);
    }

    @Property(tries = 40)
    void nd4jGivesTheScalarBits(@ForAll("lengths") int n, @ForAll("momenta") double momentum, @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] teacher = randomFloats(rng, n, 10.0);
        float[] student = randomFloats(rng, n, 10.0);
        float[] t = teacher.clone();
        new Nd4jEmaUpdate().update(t, student, momentum);
        assertArrayEquals(expected(teacher, student, momentum), t, "n=" + n + " m=" + momentum);
    }

    @Property(tries = 30)
    void staysCloseToTheFloat64Update(@ForAll("lengths") int n, @ForAll("momenta") double momentum,
                                      @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] teacher = randomFloats(rng, n, 1.0);
        float[] student = randomFloats(rng, n, 1.0);
        float[] t = teacher.clone();
        new SimdEmaUpdate().update(t, student, momentum);
        for (int i = 0; i < n; i++) {
            double exact = momentum * teacher[i] + (1 - momentum) * student[i];
            // m, 1-m and the two products each round once (2^-24 relative), then the sum
            assertEquals(exact, t[i], 4e-7 * (Math.abs(teacher[i]) + Math.abs(student[i])) + 1e-30, "at " + i);
        }
    }

    /**
     * Rounding the two products separately is what the spec asks for; a fused multiply-add gives other bits on
     * some inputs, and the kernels must not take it.
     */
    @Property(tries = 10)
    void doesNotFuseTheMultiplyAdd(@ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int n = 4099;
        float[] teacher = randomFloats(rng, n, 1.0);
        float[] student = randomFloats(rng, n, 1.0);
        double momentum = 0.996;
        float m = (float) momentum;
        float om = (float) (1 - momentum);
        int fusedDiffers = 0;
        for (int i = 0; i < n; i++) {
            if (Math.fma(teacher[i], m, student[i] * om) != teacher[i] * m + student[i] * om) {
                fusedDiffers++;
            }
        }
        assertTrue(fusedDiffers > 0, "no input where fusing changes the bits; the check below would be vacuous");
        float[] want = expected(teacher, student, momentum);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] t = teacher.clone();
            new SimdEmaUpdate(lanes).update(t, student, momentum);
            assertSameBits(lanes + " vs the unfused formula", want, t);
        }
        float[] t = teacher.clone();
        new Nd4jEmaUpdate().update(t, student, momentum);
        assertArrayEquals(want, t, "nd4j");
    }
}
