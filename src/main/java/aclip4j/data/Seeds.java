package aclip4j.data;

import java.util.SplittableRandom;

/** Derives independent generators from (seed, stream, index), so item {@code i} of a split is a pure function of them. */
public final class Seeds {
    private Seeds() {
    }

    /** SplitMix64 finaliser: a bijection on 64-bit values that spreads every input bit. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** A seed for item {@code index} of stream {@code stream} under {@code seed}. */
    public static long derive(long seed, long stream, long index) {
        return mix(mix(mix(seed) + 0x9e3779b97f4a7c15L * (stream + 1)) + index);
    }

    /** A generator for item {@code index} of stream {@code stream} under {@code seed}. */
    public static SplittableRandom rng(long seed, long stream, long index) {
        return new SplittableRandom(derive(seed, stream, index));
    }
}
