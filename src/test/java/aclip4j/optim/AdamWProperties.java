package aclip4j.optim;

import aclip4j.kernel.Bits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import aclip4j.kernel.Lanes;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** SPEC §8: AdamW twins against each other, against the scalar loop, and against a float64 oracle. */
class AdamWProperties {

    /** One tensor's AdamW state. */
    record State(float[] param, float[] grad, float[] expAvg, float[] expAvgSq) {
        State copy() {
            return new State(param.clone(), grad.clone(), expAvg.clone(), expAvgSq.clone());
        }
    }

    @Provide
    Arbitrary<Integer> lengths() {
        return Arbitraries.of(1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 32, 33, 63, 65, 257);
    }

    static State randomState(SplittableRandom rng, int n) {
        float[] p = new float[n];
        float[] g = new float[n];
        float[] m = new float[n];
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = (float) (rng.nextDouble() * 2 - 1);
            // gradients over several orders of magnitude, some exactly zero
            g[i] = rng.nextInt(10) == 0 ? 0f : (float) ((rng.nextDouble() * 2 - 1) * Math.pow(10, -rng.nextInt(4)));
            m[i] = (float) ((rng.nextDouble() * 2 - 1) * 0.05);
            v[i] = (float) (rng.nextDouble() * 1e-3);
        }
        return new State(p, g, m, v);
    }

    static AdamWScalars randomScalars(SplittableRandom rng, int step) {
        double lr = Math.pow(10, -2 - 2 * rng.nextDouble());
        double wd = rng.nextBoolean() ? 0.0 : rng.nextDouble() * 0.5;
        double beta1 = rng.nextBoolean() ? 0.9 : rng.nextDouble() * 0.99;
        double beta2 = rng.nextBoolean() ? 0.98 : 0.9 + rng.nextDouble() * 0.0999;
        double eps = rng.nextBoolean() ? 1e-8 : 1e-6;
        return AdamWScalars.of(lr, beta1, beta2, eps, wd, step);
    }

    /** PyTorch 1.13's float32 operations, written out here on their own as the reference for the kernels. */
    static State expectedFloat(State s, AdamWScalars c) {
        State out = s.copy();
        for (int i = 0; i < s.param.length; i++) {
            float g = s.grad[i];
            float p = s.param[i] * c.decay();
            float oneMinusB1G = g * c.oneMinusBeta1();
            float m = s.expAvg[i] * c.beta1() + oneMinusB1G;
            float scaledG = c.oneMinusBeta2() * g;
            float v = s.expAvgSq[i] * c.beta2() + scaledG * g;
            float root = (float) Math.sqrt(v);
            float denom = root / c.biasCorrection2Sqrt() + c.eps();
            float numerator = c.negStepSize() * m;
            out.param[i] = p + numerator / denom;
            out.expAvg[i] = m;
            out.expAvgSq[i] = v;
        }
        return out;
    }

    @Property(tries = 60)
    void everyWidthGivesTheScalarBits(@ForAll("lengths") int n, @ForAll @IntRange(min = 1, max = 5000) int step,
                                      @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        State s = randomState(rng, n);
        AdamWScalars c = randomScalars(rng, step);
        State want = expectedFloat(s, c);
        State scalar = s.copy();
        new SimdAdamW(Lanes.SCALAR).step(scalar.param, scalar.grad, scalar.expAvg, scalar.expAvgSq, c);
        // the scalar specification is the PyTorch op order written out independently above
        assertSameState("scalar vs PyTorch float32 ops, n=" + n, want, scalar);
        for (Lanes lanes : Lanes.testWidths()) {
            State got = s.copy();
            new SimdAdamW(lanes).step(got.param, got.grad, got.expAvg, got.expAvgSq, c);
            assertSameState(lanes + " vs scalar, n=" + n, scalar, got);
            assertArrayEquals(s.grad, got.grad, "grad is read only");
        }
    }

    /**
     * Tensors longer than one {@link SimdAdamW#CHUNK} are cut into ranges for the threads: on 1, 2 or 3 threads every
     * element still gets PyTorch's float32 operations, ranges ending in a vector tail included.
     */
    @Property(tries = 4)
    void rangesOnThreadsGiveTheScalarBits(@ForAll long seed) {
        int before = aclip4j.kernel.Parallel.threads();
        try {
            for (int n : new int[] {SimdAdamW.CHUNK + 1, 3 * SimdAdamW.CHUNK - 1, 2 * SimdAdamW.CHUNK + 37}) {
                SplittableRandom rng = new SplittableRandom(seed + n);
                State s = randomState(rng, n);
                AdamWScalars c = randomScalars(rng, 1 + rng.nextInt(100));
                State want = expectedFloat(s, c);
                for (int threads : new int[] {1, 2, 3}) {
                    aclip4j.kernel.Parallel.setThreads(threads);
                    for (Lanes lanes : Lanes.testWidths()) {
                        State got = s.copy();
                        new SimdAdamW(lanes).step(got.param, got.grad, got.expAvg, got.expAvgSq, c);
                        assertSameState(lanes + ", " + threads + " threads, n=" + n, want, got);
                    }
                }
            }
        } finally {
            aclip4j.kernel.Parallel.setThreads(before);
        }
    }

    /** Several steps in a row (moments carried over) stay bit-identical at every width, tails included. */
    @Property(tries = 30)
    void everyWidthGivesTheScalarBitsOverSeveralSteps(@ForAll("lengths") int n, @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        State start = randomState(rng, n);
        AdamWScalars[] steps = new AdamWScalars[6];
        float[][] grads = new float[steps.length][];
        for (int k = 0; k < steps.length; k++) {
            steps[k] = randomScalars(rng, k + 1);
            grads[k] = randomState(rng, n).grad;
        }
        State scalar = run(Lanes.SCALAR, start, steps, grads);
        for (Lanes lanes : Lanes.testWidths()) {
            assertSameState(lanes + " vs scalar after " + steps.length + " steps, n=" + n, scalar,
                    run(lanes, start, steps, grads));
        }
    }

    private static State run(Lanes lanes, State start, AdamWScalars[] steps, float[][] grads) {
        State s = start.copy();
        SimdAdamW adamW = new SimdAdamW(lanes);
        for (int k = 0; k < steps.length; k++) {
            adamW.step(s.param, grads[k], s.expAvg, s.expAvgSq, steps[k]);
        }
        return s;
    }

    static void assertSameState(String what, State expected, State actual) {
        assertSameBits(what + " param", expected.param, actual.param);
        assertSameBits(what + " exp_avg", expected.expAvg, actual.expAvg);
        assertSameBits(what + " exp_avg_sq", expected.expAvgSq, actual.expAvgSq);
    }

    static void assertSameBits(String what, float[] expected, float[] actual) {
        Bits.assertSameBits(what, expected, actual);
    }

    @Property(tries = 30)
    void nd4jAgreesWithSimd(@ForAll("lengths") int n, @ForAll @IntRange(min = 1, max = 5000) int step,
                            @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        State s = randomState(rng, n);
        AdamWScalars c = randomScalars(rng, step);
        State simd = s.copy();
        new SimdAdamW().step(simd.param, simd.grad, simd.expAvg, simd.expAvgSq, c);
        State nd = s.copy();
        new Nd4jAdamW().step(nd.param, nd.grad, nd.expAvg, nd.expAvgSq, c);
        // one op per PyTorch kernel on both sides, each IEEE-rounded; bit-identical on the CPU backend so far,
        // but only one float32 ulp is promised (another ND4J backend may evaluate a scalar op differently)
        for (int i = 0; i < n; i++) {
            assertEquals(simd.param[i], nd.param[i], Math.ulp(simd.param[i]), "param at " + i);
            assertEquals(simd.expAvg[i], nd.expAvg[i], Math.ulp(simd.expAvg[i]), "exp_avg at " + i);
            assertEquals(simd.expAvgSq[i], nd.expAvgSq[i], Math.ulp(simd.expAvgSq[i]), "exp_avg_sq at " + i);
        }
    }

    /** Several steps from zero moments against the same update run in float64. */
    @Property(tries = 30)
    void tracksAFloat64Oracle(@ForAll("lengths") int n, @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        State s = randomState(rng, n);
        java.util.Arrays.fill(s.expAvg, 0f);
        java.util.Arrays.fill(s.expAvgSq, 0f);
        double lr = 1e-3;
        double wd = 0.1;
        double b1 = 0.9;
        double b2 = 0.98;
        double eps = 1e-8;
        double[] p = new double[n];
        double[] m = new double[n];
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            p[i] = s.param[i];
        }
        AdamW adamW = new SimdAdamW();
        for (int step = 1; step <= 12; step++) {
            for (int i = 0; i < n; i++) {
                s.grad[i] = (float) ((rng.nextDouble() * 2 - 1) * 0.1);
            }
            adamW.step(s.param, s.grad, s.expAvg, s.expAvgSq, lr, b1, b2, eps, wd, step);
            double bc1 = 1 - Math.pow(b1, step);
            double bc2 = 1 - Math.pow(b2, step);
            for (int i = 0; i < n; i++) {
                double g = s.grad[i];
                p[i] *= 1 - lr * wd;
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mHat = m[i] / bc1;
                double vHat = v[i] / bc2;
                p[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
        }
        for (int i = 0; i < n; i++) {
            // each step moves a parameter by at most about lr; float32 rounding stays far below that
            assertEquals(p[i], s.param[i], 2e-6, "param at " + i);
            // the moments sum gradients of size 0.1 that may cancel: float32 error relative to that scale
            assertEquals(m[i], s.expAvg[i], 1e-6 * Math.abs(m[i]) + 1e-8, "exp_avg at " + i);
            assertEquals(v[i], s.expAvgSq[i], 1e-6 * Math.abs(v[i]) + 1e-10, "exp_avg_sq at " + i);
        }
    }
}
