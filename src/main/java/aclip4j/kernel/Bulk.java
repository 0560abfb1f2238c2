package aclip4j.kernel;

import java.util.Arrays;

/**
 * Whole-array passes on {@link Parallel}'s threads over the large activation, gradient and weight arrays of a
 * training step (tens of MB each at ViT-S/16, batch 32; the text tower's token embedding alone is 100 MB), which one
 * thread would do at a fraction of the memory bandwidth while the other waits. Each pass is element-wise: every
 * element gets the operations of the serial {@link Vec} primitive (or of {@link Arrays#fill} and
 * {@link System#arraycopy}), whichever range and thread it falls in, so the bits are the serial ones.
 */
public final class Bulk {
    private Bulk() {}

    /** Floats per task. */
    static final int CHUNK = 1 << 18;

    /** a[i] = 0 for every i. */
    public static void zero(float[] a) {
        Parallel.forRanges(a.length, CHUNK, (from, to) -> Arrays.fill(a, from, to, 0f));
    }

    /** dst[i] = src[i] for i &lt; src.length (dst at least as long). */
    public static void copy(float[] src, float[] dst) {
        Parallel.forRanges(src.length, CHUNK, (from, to) -> System.arraycopy(src, from, dst, from, to - from));
    }

    /** dst[i] += src[i] for i &lt; dst.length ({@link Vec#accumulate}; src at least as long). */
    public static void accumulate(Lanes lanes, float[] dst, float[] src) {
        if (src.length < dst.length) {
            throw new IllegalArgumentException("accumulate: src has " + src.length + " values, dst " + dst.length);
        }
        Parallel.forRanges(dst.length, CHUNK, (from, to) -> Vec.accumulate(lanes, dst, from, src, from, to - from));
    }

    /** The smallest i with x[i] NaN or infinite, or -1 ({@link Vec#firstNonFinite}; exact at any split). */
    public static int firstNonFinite(Lanes lanes, float[] x) {
        int chunks = (x.length + CHUNK - 1) / CHUNK;
        if (chunks <= 1) {
            return Vec.firstNonFinite(lanes, x, 0, x.length);
        }
        int[] first = new int[chunks]; // each range's own answer, then the lowest range that has one
        Parallel.forRanges(x.length, CHUNK, (from, to) -> {
            int j = Vec.firstNonFinite(lanes, x, from, to - from);
            first[from / CHUNK] = j < 0 ? -1 : from + j;
        });
        for (int j : first) {
            if (j >= 0) {
                return j;
            }
        }
        return -1;
    }
}
