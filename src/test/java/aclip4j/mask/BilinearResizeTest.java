package aclip4j.mask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-computed SPEC §5.1 resizes and refusals, on both twins. */
class BilinearResizeTest {
    private static final List<BilinearResize> BOTH = List.of(new SimdBilinearResize(), new Nd4jBilinearResize());

    /**
     * 2 -> 4 along an axis: scale 0.5, src = max(0, (d+0.5)/2 - 0.5) = 0, 0.25, 0.75, 1.25 -> (i0, λ) = (0, 0),
     * (0, 0.25), (0, 0.75), (1 clamped, 0.25 on the same sample). [1,2] -> [1, 1.25, 1.75, 2]; the rows blend alike.
     */
    @Test
    void upsampleTwoByTwoToFourByFour() {
        float[] x = {1, 2, 3, 4};
        float[] expected = {
            1.0f, 1.25f, 1.75f, 2.0f,
            1.5f, 1.75f, 2.25f, 2.5f,
            2.5f, 2.75f, 3.25f, 3.5f,
            3.0f, 3.25f, 3.75f, 4.0f};
        for (BilinearResize impl : BOTH) {
            assertArrayEquals(expected, impl.resize(x, 1, 2, 2, 4, 4), 0f, impl.getClass().getSimpleName());
        }
    }

    /** 4 -> 2: scale 2, src = 2d + 0.5, λ = 1/2: the mean of each pair. 3 -> 1: src = 1, the middle sample. */
    @Test
    void downsample() {
        for (BilinearResize impl : BOTH) {
            assertArrayEquals(new float[] {1.5f, 3.5f, 15f, 35f},
                    impl.resize(new float[] {1, 2, 3, 4, 10, 20, 30, 40}, 2, 1, 4, 1, 2), 0f);
            assertArrayEquals(new float[] {5f}, impl.resize(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 3, 3, 1, 1), 0f);
        }
    }

    /** 1 x 1 to anything is a constant; 3 -> 5 along x only: scale 0.6, src = 0, 0.4, 1.0, 1.6, 2.2 -> clamp. */
    @Test
    void oneAxisAndBroadcast() {
        for (BilinearResize impl : BOTH) {
            assertArrayEquals(new float[] {7, 7, 7, 7, 7, 7}, impl.resize(new float[] {7}, 1, 1, 1, 2, 3), 0f);
            assertArrayEquals(new float[] {0f, 4f, 10f, 16f, 20f},
                    impl.resize(new float[] {0, 10, 20}, 1, 1, 3, 1, 5), 2e-6f);
        }
        BilinearResize.Axis a = BilinearResize.Axis.of(3, 5);
        assertArrayEquals(new int[] {0, 0, 1, 1, 2}, a.i0());
        assertArrayEquals(new int[] {1, 1, 2, 2, 2}, a.i1());
    }

    @Test
    void refusesBadInput() {
        for (BilinearResize impl : BOTH) {
            assertThrows(IllegalArgumentException.class, () -> impl.resize(new float[4], 1, 2, 2, 0, 3));
            assertThrows(IllegalArgumentException.class, () -> impl.resize(new float[3], 1, 2, 2, 2, 2));
            assertThrows(IllegalArgumentException.class,
                    () -> impl.resize(new float[] {1, Float.NaN, 2, 3}, 1, 2, 2, 3, 3));
            assertThrows(IllegalArgumentException.class,
                    () -> impl.resize(new float[] {1, Float.POSITIVE_INFINITY, 2, 3}, 1, 2, 2, 3, 3));
        }
    }
}
