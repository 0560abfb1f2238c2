package aclip4j.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fp32 FMA ceiling of this machine right now, as a Vector API loop sees it: 20 independent FMA chains at the
 * CPU's preferred width per thread, no memory traffic — more chains than two FMA pipes of four cycles' latency need.
 * It is the ceiling any kernel here can approach; {@code aclip4j bench} measures it in the same run as the steps it
 * compares to it, because the clock drifts.
 */
public final class FmaPeak {
    private FmaPeak() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /**
     * The measured GFLOP/s of {@code threads} threads running the kernel at once: the fastest of {@link #ROUNDS}
     * rounds after {@link #WARMUP_ROUNDS} warm-up ones.
     */
    public static double gflops(int threads) {
        return gflops(threads, false);
    }

    /**
     * The same ceiling at the kernels' width {@link Lanes#SPECIES} ({@code -Daclip4j.simd.bits}), which may be
     * narrower than the CPU's preferred one: what a 256-bit run on an AVX-512 machine can reach. At 0 bits (scalar
     * kernels) the preferred width.
     */
    public static double gflopsAtKernelWidth(int threads) {
        return gflops(threads, Lanes.BITS != 0 && Lanes.LENGTH != S.length());
    }

    /**
     * Warm-up calls before any round counts. With two, the first measurement of a JVM sometimes timed the code C2
     * had compiled only for the loop's entry (on-stack replacement) and read half the ceiling: 105-119 GFLOP/s
     * where later ones in the same JVM read 228-247 (256 bits on an AMD Zen 5, 2 threads).
     */
    static final int WARMUP_ROUNDS = 12;

    /**
     * Measured rounds. The fastest counts: another process or a JVM thread (GC, compiler) only ever slows a round
     * down, so the fastest round is the closest to the ceiling; a median let one busy moment halve the result.
     */
    static final int ROUNDS = 9;

    private static double gflops(int threads, boolean kernelWidth) {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long iters = 4_000_000L; // about 10-30 ms a round
            for (int w = 0; w < WARMUP_ROUNDS; w++) {
                round(pool, threads, iters / 4, kernelWidth);
            }
            int lanes = kernelWidth ? Lanes.LENGTH : S.length();
            double best = 0;
            for (int r = 0; r < ROUNDS; r++) {
                long t0 = System.nanoTime();
                round(pool, threads, iters, kernelWidth);
                double seconds = (System.nanoTime() - t0) / 1e9;
                best = Math.max(best, threads * iters * 20.0 * lanes * 2 / seconds / 1e9);
            }
            return best;
        } finally {
            pool.shutdownNow();
        }
    }

    private static void round(ExecutorService pool, int threads, long iters, boolean kernelWidth) {
        List<Future<Float>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Callable<Float> job = kernelWidth ? () -> runAtKernelWidth(iters) : () -> run(iters);
            fs.add(pool.submit(job));
        }
        float sink = 0;
        for (Future<Float> f : fs) {
            try {
                sink += f.get();
            } catch (Exception e) {
                throw new IllegalStateException("FMA peak kernel failed: " + e, e);
            }
        }
        if (sink == 12345.678f) {
            System.out.print(""); // keeps the result live
        }
    }

    /** {@code iters} trips of 20 FMA chains ({@code 40 · lanes} FLOPs each); c = fma(a, b, c): the accumulator is
     * the addend, which x86 FMA overwrites in place (the other order costs C2 a register copy per FMA). */
    public static float run(long iters) {
        FloatVector a = FloatVector.broadcast(S, 0.5f);
        FloatVector b = FloatVector.broadcast(S, 1e-7f);
        FloatVector c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a;
        FloatVector c10 = a, c11 = a, c12 = a, c13 = a, c14 = a, c15 = a, c16 = a, c17 = a, c18 = a, c19 = a;
        for (long i = 0; i < iters; i++) {
            c0 = a.fma(b, c0); c1 = a.fma(b, c1); c2 = a.fma(b, c2); c3 = a.fma(b, c3); c4 = a.fma(b, c4);
            c5 = a.fma(b, c5); c6 = a.fma(b, c6); c7 = a.fma(b, c7); c8 = a.fma(b, c8); c9 = a.fma(b, c9);
            c10 = a.fma(b, c10); c11 = a.fma(b, c11); c12 = a.fma(b, c12); c13 = a.fma(b, c13); c14 = a.fma(b, c14);
            c15 = a.fma(b, c15); c16 = a.fma(b, c16); c17 = a.fma(b, c17); c18 = a.fma(b, c18); c19 = a.fma(b, c19);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .add(c12).add(c13).add(c14).add(c15).add(c16).add(c17).add(c18).add(c19)
                .reduceLanes(VectorOperators.ADD);
    }

    /** {@link #run} on {@link Lanes#SPECIES} (its own copy: the species must be a constant of the loop). */
    static float runAtKernelWidth(long iters) {
        FloatVector a = FloatVector.broadcast(Lanes.SPECIES, 0.5f);
        FloatVector b = FloatVector.broadcast(Lanes.SPECIES, 1e-7f);
        FloatVector c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a;
        FloatVector c10 = a, c11 = a, c12 = a, c13 = a, c14 = a, c15 = a, c16 = a, c17 = a, c18 = a, c19 = a;
        for (long i = 0; i < iters; i++) {
            c0 = a.fma(b, c0); c1 = a.fma(b, c1); c2 = a.fma(b, c2); c3 = a.fma(b, c3); c4 = a.fma(b, c4);
            c5 = a.fma(b, c5); c6 = a.fma(b, c6); c7 = a.fma(b, c7); c8 = a.fma(b, c8); c9 = a.fma(b, c9);
            c10 = a.fma(b, c10); c11 = a.fma(b, c11); c12 = a.fma(b, c12); c13 = a.fma(b, c13); c14 = a.fma(b, c14);
            c15 = a.fma(b, c15); c16 = a.fma(b, c16); c17 = a.fma(b, c17); c18 = a.fma(b, c18); c19 = a.fma(b, c19);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .add(c12).add(c13).add(c14).add(c15).add(c16).add(c17).add(c18).add(c19)
                .reduceLanes(VectorOperators.ADD);
    }
}
