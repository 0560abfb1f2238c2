package aclip4j.bench;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The fp32 throughput this core gives a Vector API loop right now: 20 independent FMA chains at the preferred
 * width (more than the 2 pipes x 4 cycles of latency need), no memory traffic. It is the ceiling any matmul here
 * can approach; {@link Bench} runs it before and after the matmul benchmarks and reports each matmul against it
 * as well as against the nominal peak (2 FMA pipes x 16 lanes x 2 flops x 4.3 GHz = 275 GFLOP/s).
 *
 * <p>Each chain is {@code c = fma(a, b, c)}: the accumulator is the addend, which x86 FMA overwrites in place.
 * Written the other way ({@code c = fma(c, b, a)}), C2 adds a register copy per FMA and JDK 17 reached only
 * 155 GFLOP/s here where a C intrinsics loop and this form reach 220.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/test-classes aclip4j.bench.FmaPeak
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class FmaPeak {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Loop trips per benchmark call: 20 chains x lanes x 2 flops each. */
    static final long ITERS = 1_000_000L;

    float[] seed = seed();

    /** Flops of {@link #run} over {@code iters} trips: 20 chains x lanes x 2. */
    static double flops(long iters) {
        return iters * 20.0 * S.length() * 2;
    }

    @Benchmark
    public float fma() {
        return run(ITERS, seed);
    }

    static float run(long iters, float[] seed) {
        return aclip4j.kernel.FmaPeak.run(iters) + seed[0]; // the kernel `aclip4j bench` measures, in JMH's harness
    }

    private static float[] seed() {
        float[] seed = new float[S.length()];
        for (int i = 0; i < seed.length; i++) {
            seed[i] = i * 0.01f;
        }
        return seed;
    }

    /** Quick look without JMH: two warm-up rounds, then four measured ones of 50 M trips each. */
    public static void main(String[] args) {
        float[] seed = seed();
        long iters = 50_000_000L;
        for (int rep = 0; rep < 6; rep++) {
            long t0 = System.nanoTime();
            float sink = run(iters, seed);
            long t = System.nanoTime() - t0;
            double gflops = flops(iters) / t;
            System.out.printf("%s %.1f GFLOP/s (%.1f %% of 275)%s%n", rep < 2 ? "warm-up" : "measured", gflops,
                    100 * gflops / 275.2, Float.isNaN(sink) ? " (NaN)" : "");
        }
    }
}
