package aclip4j.loss;

import static aclip4j.kernel.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.kernel.Lanes;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Each kernel of {@link LossKernels} at every {@link Lanes#testWidths()} against its scalar twin, <b>bit for bit</b>
 * (docs/SPEC.md §13: the canonical 16-partial order, fma where the vector fuses, the project's own exp), on
 * lengths that hit every tail (1, primes, 15, 16, 17, lane counts ± 1, more than one block of 16) and at non-zero
 * offsets; and the results against float64 within float rounding.
 */
class LossKernelsProperties {
    @Provide
    Arbitrary<Integer> lengths() {
        return Arbitraries.of(1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 65, 127);
    }

    private static float[] data(Random rnd, int n, boolean ties) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = ties ? (float) rnd.nextInt(3) : (float) (rnd.nextGaussian() * 3);
        }
        return x;
    }

    @Property(tries = 150)
    void dotGivesTheScalarBits(@ForAll("lengths") int n, @ForAll @IntRange(max = 5) int off, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] a = data(rnd, n + off, false);
        float[] b = data(rnd, n + 2 * off, false);
        float expected = LossKernels.dotScalar(a, off, b, 2 * off, n);
        double magnitude = 0;
        double exact = 0;
        for (int i = 0; i < n; i++) {
            magnitude += Math.abs((double) a[off + i] * b[2 * off + i]);
            exact += (double) a[off + i] * b[2 * off + i];
        }
        assertEquals(exact, expected, 1e-6 * n * magnitude + 1e-30, "scalar dot against float64, n=" + n);
        for (Lanes lanes : Lanes.testWidths()) {
            assertSameBits(lanes + " dot n=" + n, expected, LossKernels.dot(lanes, a, off, b, 2 * off, n));
        }
    }

    @Property(tries = 150)
    void axpyAndScaleGiveTheScalarBits(@ForAll("lengths") int n, @ForAll @IntRange(max = 5) int off,
                                       @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] x = data(rnd, n + off, false);
        float[] y0 = data(rnd, n + off + 1, false);
        float alpha = (float) rnd.nextGaussian();
        float[] yScalar = y0.clone();
        LossKernels.axpyScalar(alpha, x, off, yScalar, off + 1, n);
        float[] sScalar = y0.clone();
        LossKernels.scaleScalar(alpha, x, off, sScalar, off + 1, n);
        for (int i = 0; i < y0.length; i++) {
            int j = i - (off + 1);
            if (j < 0 || j >= n) {
                assertSameBits("axpy touched element " + i + " outside the range", y0[i], yScalar[i]);
                assertSameBits("scale touched element " + i + " outside the range", y0[i], sScalar[i]);
            } else {
                // the specification: one fused multiply-add, one rounded product
                assertSameBits("scalar axpy at " + i, Math.fma(alpha, x[off + j], y0[i]), yScalar[i]);
                assertSameBits("scalar scale at " + i, alpha * x[off + j], sScalar[i]);
            }
        }
        for (Lanes lanes : Lanes.testWidths()) {
            float[] yVector = y0.clone();
            LossKernels.axpy(lanes, alpha, x, off, yVector, off + 1, n);
            assertSameBits(lanes + " axpy n=" + n, yScalar, yVector);
            float[] sVector = y0.clone();
            LossKernels.scale(lanes, alpha, x, off, sVector, off + 1, n);
            assertSameBits(lanes + " scale n=" + n, sScalar, sVector);
        }
    }

    @Property(tries = 150)
    void maxAndExponentialsGiveTheScalarBits(@ForAll("lengths") int n, @ForAll @IntRange(max = 5) int off,
                                             @ForAll boolean ties, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] x = data(rnd, n + off, ties);
        float shift = LossKernels.maxScalar(x, off, n);
        float sScalar = LossKernels.sumExpScalar(x, off, n, shift);
        float[] eScalar = new float[n + 2];
        LossKernels.expShiftedScalar(x, off, eScalar, 2, n, shift);
        float lseScalar = LossKernels.logSumExp(Lanes.SCALAR, x, off, n);
        for (int i = 0; i < eScalar.length; i++) {
            // the max-shifted exponentials of a softmax never exceed 1, and are within 2 ulps of the exp of the
            // rounded float difference
            assertTrue(eScalar[i] <= 1f);
            if (i >= 2) {
                double e = Math.exp(x[off + i - 2] - shift);
                assertEquals(e, eScalar[i], 2 * Math.ulp((float) e), "exp at " + i);
            }
        }
        for (Lanes lanes : Lanes.testWidths()) {
            assertSameBits(lanes + " max n=" + n, shift, LossKernels.max(lanes, x, off, n));
            assertSameBits(lanes + " sumExp n=" + n, sScalar, LossKernels.sumExp(lanes, x, off, n, shift));
            float[] eVector = new float[n + 2];
            LossKernels.expShifted(lanes, x, off, eVector, 2, n, shift);
            assertSameBits(lanes + " expShifted n=" + n, eScalar, eVector);
            assertSameBits(lanes + " logSumExp n=" + n, lseScalar, LossKernels.logSumExp(lanes, x, off, n));
        }
        // log-sum-exp against float64
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += Math.exp(x[off + i] - m);
        }
        assertEquals(m + Math.log(s), lseScalar, 1e-5 * (1 + Math.abs(m)));
    }

    @Property(tries = 100)
    void normalisationGivesTheScalarBitsAndMatchesFloat64(@ForAll("lengths") int D,
                                                          @ForAll @IntRange(min = 1, max = 4) int R,
                                                          @ForAll boolean zeroRow, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] x = data(rnd, R * D, false);
        if (zeroRow) {
            java.util.Arrays.fill(x, (R - 1) * D, R * D, 0f); // the 1e-12 floor
        }
        float[] dy = data(rnd, R * D, false);
        float[] y = new float[R * D];
        float[] norms = new float[R];
        LossKernels.l2NormalizeForward(Lanes.SCALAR, y, norms, x, R, D);
        float[] dx = new float[R * D];
        dx[0] = 0.25f; // backward adds into what is there
        LossKernels.l2NormalizeBackward(Lanes.SCALAR, dx, dy, y, norms, R, D);
        for (Lanes lanes : Lanes.testWidths()) {
            float[] yv = new float[R * D];
            float[] nv = new float[R];
            LossKernels.l2NormalizeForward(lanes, yv, nv, x, R, D);
            assertSameBits(lanes + " normalised rows D=" + D, y, yv);
            assertSameBits(lanes + " norms D=" + D, norms, nv);
            float[] dxv = new float[R * D];
            dxv[0] = 0.25f;
            LossKernels.l2NormalizeBackward(lanes, dxv, dy, yv, nv, R, D);
            assertSameBits(lanes + " normalisation backward D=" + D, dx, dxv);
        }
        for (int r = 0; r < R; r++) {
            double ss = 0;
            double ydy = 0;
            for (int d = 0; d < D; d++) {
                ss += (double) x[r * D + d] * x[r * D + d];
            }
            double n = Math.max(Math.sqrt(ss), 1e-12);
            for (int d = 0; d < D; d++) {
                ydy += x[r * D + d] / n * dy[r * D + d];
            }
            for (int d = 0; d < D; d++) {
                int i = r * D + d;
                double yi = x[i] / n;
                assertEquals(yi, y[i], 1e-6, "y");
                double dxi = (n > 1e-12 ? (dy[i] - yi * ydy) / n : dy[i] / 1e-12) + (i == 0 ? 0.25 : 0);
                double scale = n > 1e-12 ? (Math.abs(ydy) + Math.abs(dy[i])) / n : Math.abs(dy[i]) / 1e-12;
                assertEquals(dxi, dx[i], 1e-5 * (1 + scale), "dx");
            }
        }
    }
}
