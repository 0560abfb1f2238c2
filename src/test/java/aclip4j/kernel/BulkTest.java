package aclip4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link Bulk}'s element-wise passes give the serial bits and answers on any thread count, across range ends. */
@ExtendWith(RestoreThreads.class)
class BulkTest {
    private static final int[] LENGTHS = {0, 1, 17, Bulk.CHUNK - 1, Bulk.CHUNK + 1, 2 * Bulk.CHUNK + 33};

    @Test
    void accumulateGivesTheSerialSumsOnAnyThreads() {
        for (int n : LENGTHS) {
            SplittableRandom rng = new SplittableRandom(n);
            float[] dst = new float[n], src = new float[n + 3]; // src may be longer; its extra values are unused
            for (int i = 0; i < n; i++) {
                dst[i] = (float) rng.nextGaussian();
            }
            for (int i = 0; i < src.length; i++) {
                src[i] = (float) rng.nextGaussian();
            }
            float[] want = new float[n];
            for (int i = 0; i < n; i++) {
                want[i] = dst[i] + src[i];
            }
            for (int threads : new int[] {1, 2, 3}) {
                Parallel.setThreads(threads);
                for (Lanes lanes : Lanes.testWidths()) {
                    float[] got = dst.clone();
                    Bulk.accumulate(lanes, got, src);
                    Bits.assertSameBits(lanes + ", " + threads + " threads, n " + n, want, got);
                }
            }
        }
    }

    @Test
    void accumulateRejectsAShortSource() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Bulk.accumulate(Lanes.preferred(), new float[5], new float[4]));
        assertEquals("accumulate: src has 4 values, dst 5", e.getMessage());
    }

    @Test
    void firstNonFiniteFindsTheLowestBadElementInAnyRange() {
        int n = 3 * Bulk.CHUNK + 5;
        for (int threads : new int[] {1, 2, 3}) {
            Parallel.setThreads(threads);
            for (Lanes lanes : Lanes.testWidths()) {
                float[] x = new float[n];
                assertEquals(-1, Bulk.firstNonFinite(lanes, x), "all finite");
                x[n - 1] = Float.NEGATIVE_INFINITY; // in the short last range
                assertEquals(n - 1, Bulk.firstNonFinite(lanes, x));
                x[2 * Bulk.CHUNK + 3] = Float.NaN;
                assertEquals(2 * Bulk.CHUNK + 3, Bulk.firstNonFinite(lanes, x));
                x[Bulk.CHUNK] = Float.POSITIVE_INFINITY; // the first element of the second range
                assertEquals(Bulk.CHUNK, Bulk.firstNonFinite(lanes, x), "the lowest of three bad elements");
                float[] small = {1f, 2f, Float.NaN, Float.NaN};
                assertEquals(2, Bulk.firstNonFinite(lanes, small), "one range");
            }
        }
    }
}
