package aclip4j.mask;

import java.util.Arrays;

/** Argument checks shared by the {@code Simd…} and {@code Nd4j…} twins, so both refuse the same inputs alike. */
final class Checks {
    private Checks() {}

    /** Every dimension at least {@code min}; {@code names} and {@code dims} pair up. */
    static void atLeast(int min, String names, int... dims) {
        for (int d : dims) {
            if (d < min) {
                throw new IllegalArgumentException(names + " must all be >= " + min + ", got " + Arrays.toString(dims));
            }
        }
    }

    /** {@code array} has exactly the product of {@code shape} elements; {@code layout} names the dims, e.g. [L,B,H,T]. */
    static void length(String what, int length, String layout, int... shape) {
        long expected = 1;
        for (int d : shape) {
            expected *= d;
        }
        if (length != expected) {
            throw new IllegalArgumentException(what + " has " + length + " elements, expected " + layout + " = "
                    + Arrays.toString(shape) + " = " + expected);
        }
    }

    /** No NaN in {@code x}; names the first offending flat index. */
    static void noNaN(String what, float[] x) {
        for (int i = 0; i < x.length; i++) {
            if (Float.isNaN(x[i])) {
                throw new IllegalArgumentException(what + " has NaN at flat index " + i);
            }
        }
    }

    /** Every element finite; names the first offending flat index and value. */
    static void finite(String what, float[] x) {
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) {
                throw new IllegalArgumentException(what + " has non-finite value " + x[i] + " at flat index " + i);
            }
        }
    }

    /** Largest box area (pixels) a score map is resampled to; far above any image the project reads. */
    static final long MAX_BOX_AREA = 1L << 28;

    /** boxes [B,4] of (top, left, h, w) with h, w >= 1 and an area the resize can hold. */
    static void boxes(String what, int[] boxes, int B) {
        length(what, boxes.length, "[B,4]", B, 4);
        for (int b = 0; b < B; b++) {
            int h = boxes[4 * b + 2];
            int w = boxes[4 * b + 3];
            if (h < 1 || w < 1 || (long) h * w > MAX_BOX_AREA) {
                throw new IllegalArgumentException(what + "[" + b + "] = (top " + boxes[4 * b] + ", left "
                        + boxes[4 * b + 1] + ", h " + h + ", w " + w + "): expected h, w >= 1 and h*w <= "
                        + MAX_BOX_AREA);
            }
        }
    }
}
