package aclip4j.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fp32 throughput this core actually gives a Vector API loop: 20 independent 512-bit FMA chains (more than the
 * 2 pipes × 4 cycles of latency need), no memory traffic. It is the ceiling any matmul here can approach, to set
 * beside the nominal peak (2 FMA pipes × 16 lanes × 2 flops × 4.3 GHz = 275 GFLOP/s).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/test-classes aclip4j.bench.FmaPeak
 * </pre>
 */
public final class FmaPeak {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;

    private FmaPeak() {}

    static float run(long iters, float[] seed) {
        FloatVector a = FloatVector.fromArray(S, seed, 0);
        FloatVector b = FloatVector.broadcast(S, 0.999f);
        FloatVector c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a;
        FloatVector c10 = a, c11 = a, c12 = a, c13 = a, c14 = a, c15 = a, c16 = a, c17 = a, c18 = a, c19 = a;
        for (long i = 0; i < iters; i++) {
            c0 = c0.fma(b, a); c1 = c1.fma(b, a); c2 = c2.fma(b, a); c3 = c3.fma(b, a); c4 = c4.fma(b, a);
            c5 = c5.fma(b, a); c6 = c6.fma(b, a); c7 = c7.fma(b, a); c8 = c8.fma(b, a); c9 = c9.fma(b, a);
            c10 = c10.fma(b, a); c11 = c11.fma(b, a); c12 = c12.fma(b, a); c13 = c13.fma(b, a); c14 = c14.fma(b, a);
            c15 = c15.fma(b, a); c16 = c16.fma(b, a); c17 = c17.fma(b, a); c18 = c18.fma(b, a); c19 = c19.fma(b, a);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .add(c12).add(c13).add(c14).add(c15).add(c16).add(c17).add(c18).add(c19)
                .reduceLanes(VectorOperators.ADD);
    }

    public static void main(String[] args) {
        float[] seed = new float[S.length()];
        for (int i = 0; i < seed.length; i++) {
            seed[i] = i * 0.01f;
        }
        long iters = 50_000_000L;
        for (int rep = 0; rep < 6; rep++) {
            long t0 = System.nanoTime();
            float sink = run(iters, seed);
            long t = System.nanoTime() - t0;
            double gflops = iters * 20.0 * S.length() * 2 / t;
            System.out.printf("%s %.1f GFLOP/s (%.1f %% of 275)%s%n", rep < 2 ? "warm-up" : "measured", gflops,
                    100 * gflops / 275.2, sink == 0 ? " " : "");
        }
    }
}
