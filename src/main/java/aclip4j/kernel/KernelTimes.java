package aclip4j.kernel;

import java.util.concurrent.atomic.LongAdder;

/**
 * Where a step's wall time goes, by kernel family: {@code aclip4j bench} switches it on and reads it per step. Each
 * vector entry point of {@link Matmul}, {@link Attention}, {@link LayerNorm}, {@link Gelu} and {@link QuickGelu} adds
 * its call's elapsed time (and the matmuls their FLOPs, 2 per multiply-add) to its family. The kernels parallelise
 * inside a call and return when it is done, so on the one thread that calls them the families' times add up to the
 * part of the step they took. The trainer times its data, update and metrics the same way ({@link #begin}); what is
 * left is the rest of the host's work (losses, heads' small ops, token selection, gathers, embeddings).
 *
 * <p>Off by default: then a call costs one volatile read. Timing changes no arithmetic.
 */
public final class KernelTimes {
    private KernelTimes() {}

    /**
     * What is timed: four kernel families, and three parts of the trainer's step around the towers ({@link #begin},
     * {@link #end}): {@code DATA} makes the step's batches (rendering, crops, augmentation, tokens), {@code UPDATE} is
     * the optimiser's side (the finite checks of weights and gradients, the EMA update, the micro-batch sums, AdamW),
     * {@code METRICS} the step's logged measurements outside the loss (the object share of the kept tokens).
     */
    public enum Family { MATMUL, ATTENTION, LAYERNORM, ACTIVATION, DATA, UPDATE, METRICS }

    private static volatile boolean enabled;
    private static final LongAdder[] NANOS = new LongAdder[Family.values().length];
    private static final LongAdder MATMUL_FLOPS = new LongAdder();

    static {
        for (int i = 0; i < NANOS.length; i++) {
            NANOS[i] = new LongAdder();
        }
    }

    /** Switches timing on or off (and clears what was gathered). */
    public static void enable(boolean on) {
        reset();
        enabled = on;
    }

    /** Clears the totals. */
    public static void reset() {
        for (LongAdder a : NANOS) {
            a.reset();
        }
        MATMUL_FLOPS.reset();
    }

    /** A call's start: {@link System#nanoTime} when timing is on, else 0. */
    static long start() {
        return enabled ? System.nanoTime() : 0L;
    }

    /** A call's end: adds its time since {@code t0} to {@code f} (nothing when {@code t0} is 0: timing was off). */
    static void stop(Family f, long t0) {
        if (t0 != 0L) {
            NANOS[f.ordinal()].add(System.nanoTime() - t0);
        }
    }

    /** A matmul call's end, with the FLOPs it did. */
    static void stopMatmul(long t0, double flops) {
        if (t0 != 0L) {
            stop(Family.MATMUL, t0);
            MATMUL_FLOPS.add((long) flops);
        }
    }

    /** A timed part of the step starts (outside the kernels, which time themselves): 0 when timing is off. */
    public static long begin() {
        return start();
    }

    /** The part of the step begun at {@code t0} ends: its time goes to {@code f}. */
    public static void end(Family f, long t0) {
        stop(f, t0);
    }

    /** Seconds spent in {@code f} since the last reset. */
    public static double seconds(Family f) {
        return NANOS[f.ordinal()].sum() / 1e9;
    }

    /** FLOPs the matmuls did since the last reset. */
    public static double matmulFlops() {
        return MATMUL_FLOPS.sum();
    }
}
