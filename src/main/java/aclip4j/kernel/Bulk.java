package aclip4j.kernel;

import java.util.Arrays;

/**
 * Whole-array data movement on {@link Parallel}'s threads: zeroing and copying the large activation and gradient
 * arrays of a tower pass (tens of MB each at ViT-S/16, batch 32), which one thread would do at a fraction of the
 * memory bandwidth while the other waits. No arithmetic: the bits are those of {@link Arrays#fill} and
 * {@link System#arraycopy}.
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
}
