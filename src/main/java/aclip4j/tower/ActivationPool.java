package aclip4j.tower;

import aclip4j.kernel.Bulk;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The float arrays of a tower's activations and backward temporaries, recycled from one pass to the next.
 *
 * <p>A ViT-S/16 pass at batch 32 saves about 2.8 GB of activations (the (B,H,T,T) attention probabilities alone are
 * 60 MB per block). Allocated afresh at every pass, each array is a new humongous object whose pages the kernel must
 * zero on first touch: on a 2-core AMD EPYC a third of a training step's CPU time went to the kernel's
 * {@code clear_page} (BENCHMARKS.md, "Issue [4/7] on AMD EPYC Zen 4 ... second session"). A tower keeps one pool;
 * its passes take their arrays from it and give them back once their backward no longer reads them, so from the
 * second step on a step allocates no activation array.
 *
 * <p>Arrays are matched by exact length (callers read {@code .length}). {@link #take} hands out an array whose
 * contents are whatever the last user left: only for outputs a kernel writes in full. {@link #zeros} clears it, for
 * the gradients kernels add into. The arithmetic is the same either way, so the bits do not depend on recycling
 * ({@code SimdVisionTowerTest.recycledArraysGiveTheSameBits} poisons returned arrays with NaN to prove it).
 * Thread-safe; a pass holds what it took until it gives it back, so nothing is shared between live passes.
 */
final class ActivationPool {
    private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
    private final boolean poison;

    ActivationPool() {
        this(false);
    }

    /** {@code poison}: every array given back is filled with NaN, so that reading one before writing it shows. */
    ActivationPool(boolean poison) {
        this.poison = poison;
    }

    /** An array of length n whose contents are unspecified (the caller writes every element before reading it). */
    synchronized float[] take(int n) {
        ArrayDeque<float[]> q = free.get(n);
        float[] a = q == null ? null : q.pollLast();
        return a != null ? a : new float[n];
    }

    /** An array of length n holding zeros. */
    float[] zeros(int n) {
        float[] a = take(n);
        Bulk.zero(a);
        return a;
    }

    /** A recycled copy of x. */
    float[] copy(float[] x) {
        float[] a = take(x.length);
        Bulk.copy(x, a);
        return a;
    }

    /**
     * Gives arrays back (null entries are skipped); the caller must not read or write them afterwards. An array the
     * pool already holds is refused: handed out twice, two passes would write into one array.
     */
    synchronized void give(float[]... arrays) {
        for (float[] a : arrays) {
            if (a == null) {
                continue;
            }
            ArrayDeque<float[]> q = free.computeIfAbsent(a.length, k -> new ArrayDeque<>());
            for (float[] held : q) {
                if (held == a) {
                    throw new IllegalStateException("an array of " + a.length + " floats was given back twice");
                }
            }
            if (poison) {
                Arrays.fill(a, Float.NaN);
            }
            q.addLast(a);
        }
    }

    /** Floats held for reuse (for tests and diagnostics). */
    synchronized long heldFloats() {
        long n = 0;
        for (Map.Entry<Integer, ArrayDeque<float[]>> e : free.entrySet()) {
            n += (long) e.getKey() * e.getValue().size();
        }
        return n;
    }
}
