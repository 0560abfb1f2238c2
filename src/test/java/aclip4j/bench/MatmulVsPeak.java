package aclip4j.bench;

import static aclip4j.kernel.MatmulOracle.random;

import aclip4j.kernel.Lanes;
import aclip4j.kernel.Matmul;
import aclip4j.kernel.Parallel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The blocked matmul against the core's FMA ceiling measured in the same seconds. On a shared host the clock drifts
 * by ±10 % over minutes, which JMH's one-benchmark-after-another runs cannot separate from the kernel; here every
 * round times {@link FmaPeak}'s register-only loop and then the matmul, each for a short slice, and the table gives
 * the median over rounds of GFLOP/s and of their per-round ratio. Single-threaded (it sets
 * {@code Parallel.setThreads(1)}).
 *
 * <pre>
 * mvn -o -B -q test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.cp
 * java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes:$(cat target/test.cp) \
 *      aclip4j.bench.MatmulVsPeak [ROUNDS [SHAPE,SHAPE...]]
 * </pre>
 * Defaults: 15 rounds of 150 ms each per side after 2 s of warm-up, the four shapes of {@link MatmulBench}.
 * Use at least 5 rounds: once, a 2-round run printed a ratio of 11008 % because one slice of the FMA loop ran
 * while the JIT recompiled it; the median over more rounds discards such a slice.
 */
public final class MatmulVsPeak {
    private static final double NOMINAL = Bench.nominalPeak(FmaPeak.S.length());
    private static final long SLICE_NS = 150_000_000L;

    private MatmulVsPeak() {}

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        String[] shapes = (args.length > 1 ? args[1] : "197x768x768,197x768x3072,197x3072x768,1024x1024x1024")
                .split(",");
        Parallel.setThreads(1);
        Lanes lanes = Lanes.preferred();
        System.out.printf("MatmulVsPeak: %d rounds of %d ms per side, lanes %d bits, 1 thread%n", rounds,
                SLICE_NS / 1_000_000, lanes.bits());
        System.out.printf("%-16s %-9s %12s %12s %10s %10s%n", "shape BTxCxOC", "pass", "GFLOP/s", "FMA GFLOP/s",
                "% meas.", String.format("%% of %.0f", NOMINAL));
        float[] seed = new float[FmaPeak.S.length()];
        for (String shape : shapes) {
            String[] d = shape.split("x");
            int BT = Integer.parseInt(d[0]), C = Integer.parseInt(d[1]), OC = Integer.parseInt(d[2]);
            SplittableRandom rnd = new SplittableRandom(1);
            float[] inp = random(rnd, BT * C), weight = random(rnd, OC * C), bias = random(rnd, OC);
            float[] dout = random(rnd, BT * OC), out = new float[BT * OC];
            float[] dinp = new float[BT * C], dweight = new float[OC * C], dbias = new float[OC];
            Runnable forward = () -> Matmul.matmulForward(lanes, out, inp, weight, bias, BT, C, OC);
            Runnable backward = () -> Matmul.matmulBackward(lanes, dinp, dweight, dbias, dout, inp, weight, BT, C, OC);
            double flops = 2.0 * BT * C * OC;
            report(shape, "forward", rounds, forward, flops, seed);
            report(shape, "backward", rounds, backward, 2 * flops, seed);
        }
    }

    private static void report(String shape, String pass, int rounds, Runnable kernel, double flops, float[] seed) {
        long iters = FmaPeak.ITERS / 10;
        Runnable fma = () -> FmaPeak.run(iters, seed);
        double fmaFlops = FmaPeak.flops(iters);
        long warm = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < warm) {
            kernel.run();
            fma.run();
        }
        List<Double> mm = new ArrayList<>(), peak = new ArrayList<>(), ratio = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            double p = rate(fma, fmaFlops);
            double m = rate(kernel, flops);
            peak.add(p);
            mm.add(m);
            ratio.add(m / p);
        }
        double med = median(mm), medPeak = median(peak);
        System.out.printf("%-16s %-9s %12.1f %12.1f %9.1f%% %9.1f%%%n", shape, pass, med, medPeak,
                100 * median(ratio), 100 * med / NOMINAL);
    }

    /** GFLOP/s of {@code r} over one slice (at least one call). */
    private static double rate(Runnable r, double flopsPerCall) {
        long t0 = System.nanoTime();
        long calls = 0;
        do {
            r.run();
            calls++;
        } while (System.nanoTime() - t0 < SLICE_NS);
        return calls * flopsPerCall / (System.nanoTime() - t0);
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
