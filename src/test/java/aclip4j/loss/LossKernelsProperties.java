package aclip4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;

import aclip4j.kernel.Lanes;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Each Vector API kernel of {@link LossKernels} against its scalar twin at every {@link Lanes#testWidths()},
 * on lengths that hit the vector tails (1, primes, lane count ± 1) and at non-zero offsets. The vector kernels add
 * in another order, so sums agree within float rounding of the summed magnitudes; element-wise kernels agree to
 * the last bit except the exponentials, which may differ by an ulp. The scalar width must equal its twin exactly.
 */
class LossKernelsProperties {
    @Provide
    Arbitrary<Integer> lengths() {
        return Arbitraries.of(1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 65, 127);
    }

    @Provide
    Arbitrary<Lanes> lanes() {
        return Arbitraries.of(Lanes.testWidths());
    }

    private static float[] data(Random rnd, int n, boolean ties) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = ties ? (float) rnd.nextInt(3) : (float) (rnd.nextGaussian() * 3);
        }
        return x;
    }

    @Property(tries = 150)
    void dotMatchesScalar(@ForAll("lanes") Lanes lanes, @ForAll("lengths") int n, @ForAll @IntRange(max = 5) int off,
                          @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] a = data(rnd, n + off, false);
        float[] b = data(rnd, n + 2 * off, false);
        float expected = LossKernels.dotScalar(a, off, b, 2 * off, n);
        float actual = LossKernels.dot(lanes, a, off, b, 2 * off, n);
        double magnitude = 0;
        for (int i = 0; i < n; i++) {
            magnitude += Math.abs(a[off + i] * b[2 * off + i]);
        }
        double exact = 0;
        for (int i = 0; i < n; i++) {
            exact += (double) a[off + i] * b[2 * off + i];
        }
        if (lanes.scalar()) {
            assertEquals(expected, actual, 0f);
        }
        assertEquals(exact, actual, 1e-6 * n * magnitude + 1e-30, lanes + " n=" + n);
    }

    @Property(tries = 150)
    void axpyAndScaleMatchScalar(@ForAll("lanes") Lanes lanes, @ForAll("lengths") int n,
                                 @ForAll @IntRange(max = 5) int off, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] x = data(rnd, n + off, false);
        float[] y0 = data(rnd, n + off + 1, false);
        float alpha = (float) rnd.nextGaussian();
        float[] yScalar = y0.clone();
        float[] yVector = y0.clone();
        LossKernels.axpyScalar(alpha, x, off, yScalar, off + 1, n);
        LossKernels.axpy(lanes, alpha, x, off, yVector, off + 1, n);
        for (int i = 0; i < yScalar.length; i++) {
            int j = i - (off + 1);
            if (j < 0 || j >= n) {
                assertEquals(y0[i], yVector[i], 0f, "axpy touched element " + i + " outside the range");
                continue;
            }
            // fma rounds once where a*x+y rounds twice: at most a couple of ulps of the largest term apart
            float biggest = Math.max(Math.abs(y0[i]), Math.max(Math.abs(alpha * x[off + j]), Math.abs(yScalar[i])));
            assertEquals(yScalar[i], yVector[i], 2 * Math.ulp(biggest), lanes + " axpy n=" + n + " at " + i);
        }
        float[] sScalar = y0.clone();
        float[] sVector = y0.clone();
        LossKernels.scaleScalar(alpha, x, off, sScalar, off + 1, n);
        LossKernels.scale(lanes, alpha, x, off, sVector, off + 1, n);
        for (int i = 0; i < sScalar.length; i++) {
            assertEquals(sScalar[i], sVector[i], 0f, lanes + " scale n=" + n + " at " + i);
        }
    }

    @Property(tries = 150)
    void maxAndExponentialsMatchScalar(@ForAll("lanes") Lanes lanes, @ForAll("lengths") int n,
                                       @ForAll @IntRange(max = 5) int off, @ForAll boolean ties, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] x = data(rnd, n + off, ties);
        assertEquals(LossKernels.maxScalar(x, off, n), LossKernels.max(lanes, x, off, n), 0f, lanes + " max");
        float shift = LossKernels.maxScalar(x, off, n);
        float sScalar = LossKernels.sumExpScalar(x, off, n, shift);
        float sVector = LossKernels.sumExp(lanes, x, off, n, shift);
        assertEquals(sScalar, sVector, 1e-6 * n * sScalar, lanes + " sumExp");
        float[] eScalar = new float[n + 2];
        float[] eVector = new float[n + 2];
        LossKernels.expShiftedScalar(x, off, eScalar, 2, n, shift);
        LossKernels.expShifted(lanes, x, off, eVector, 2, n, shift);
        for (int i = 0; i < eScalar.length; i++) {
            assertEquals(eScalar[i], eVector[i], 2 * Math.ulp(eScalar[i]), lanes + " expShifted at " + i);
            // the max-shifted exponentials of a softmax never exceed 1
            org.junit.jupiter.api.Assertions.assertTrue(eVector[i] <= 1f);
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
        assertEquals(m + Math.log(s), LossKernels.logSumExp(lanes, x, off, n), 1e-5 * (1 + Math.abs(m)));
    }

    @Property(tries = 100)
    void normalisationForwardBackwardMatchFloat64(@ForAll("lanes") Lanes lanes, @ForAll("lengths") int D,
                                                 @ForAll @IntRange(min = 1, max = 4) int R, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] x = data(rnd, R * D, false);
        float[] dy = data(rnd, R * D, false);
        float[] y = new float[R * D];
        float[] norms = new float[R];
        LossKernels.l2NormalizeForward(lanes, y, norms, x, R, D);
        float[] dx = new float[R * D];
        dx[0] = 0.25f; // backward adds into what is there
        LossKernels.l2NormalizeBackward(lanes, dx, dy, y, norms, R, D);
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
                double scale = (Math.abs(ydy) + Math.abs(dy[i])) / n;
                assertEquals(dxi, dx[i], 1e-5 * (1 + scale) , "dx");
            }
        }
    }
}
