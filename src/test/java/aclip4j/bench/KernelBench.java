package aclip4j.bench;

import static aclip4j.kernel.MatmulOracle.random;

import aclip4j.tensor.Tensor;
import aclip4j.kernel.Attention;
import aclip4j.kernel.Lanes;
import aclip4j.kernel.LayerNorm;
import aclip4j.tower.Init;
import aclip4j.tower.Presets;
import aclip4j.tower.SimdVisionTower;
import aclip4j.tower.VisionConfig;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Times the non-matmul Vector API kernels at the {@code tiny} vision preset (B = 32, T = 65, D = 64, H = 4,
 * hs = 16) at {@link Lanes#preferred()} against the scalar twins ({@code Lanes.of(0)}) in the same JVM:
 * attention forward + backward, layernorm forward + backward, and a whole {@link SimdVisionTower} forward +
 * backward (its matmuls run the blocked Vector API kernel in both rows; only the other kernels change).
 *
 * <p>Each workload is warmed up for {@code -Dbench.warmup} seconds per width (default 4), then the two widths are
 * timed in alternating 0.5 s rounds for {@code -Dbench.seconds} seconds each (default 4), so that load changes on a
 * shared machine hit both alike; it prints the median and the best ms per call and the scalar / vector ratio of
 * the medians. It also checks that the outputs of the first (interpreted) call and of a call after warm-up (C2
 * code) have the same bits: a kernel whose result depends on the JIT tier would break same-seed-same-bits.
 *
 * <pre>
 * mvn -o -B -q test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.cp
 * java --add-modules jdk.incubator.vector -Daclip4j.threads=1 \
 *      -cp target/test-classes:target/classes:$(cat target/test.cp) aclip4j.bench.KernelBench
 * </pre>
 */
public final class KernelBench {
    private KernelBench() {}

    /** One call of a workload at one width; returns a hash of its outputs' bits. */
    interface Workload {
        int run();
    }

    public static void main(String[] args) {
        double warmup = Double.parseDouble(System.getProperty("bench.warmup", "4"));
        double seconds = Double.parseDouble(System.getProperty("bench.seconds", "4"));
        VisionConfig cfg = Presets.vision("tiny");
        int B = 32, T = cfg.tokens() + 1, D = cfg.width(), H = cfg.heads();
        Lanes vector = Lanes.preferred(), scalar = Lanes.of(0);
        System.out.printf("KernelBench: tiny vision preset, B=%d T=%d D=%d H=%d hs=%d; vector %s vs scalar; "
                        + "threads %s; load average %.2f%n", B, T, D, H, D / H, vector,
                System.getProperty("aclip4j.threads", "default"),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.printf("%-34s %8s %12s %12s %12s %10s%n", "workload", "width", "median ms", "best ms",
                "calls", "bits");

        SplittableRandom rnd = new SplittableRandom(1);
        float[] qkv = random(rnd, B * T * 3 * D), doutAtt = random(rnd, B * T * D);
        report("attention fwd+bwd", vector, scalar, warmup, seconds, lanes -> () -> attention(lanes, qkv, doutAtt, B, T, D, H));

        int N = B * T;
        float[] x = random(rnd, N * D), w = random(rnd, D), bias = random(rnd, D), doutLn = random(rnd, N * D);
        report("layernorm fwd+bwd", vector, scalar, warmup, seconds, lanes -> () -> layerNorm(lanes, x, w, bias, doutLn, N, D));

        Map<String, Tensor> weights = Init.vision(cfg, new SplittableRandom(0));
        float[] images = random(rnd, B * 3 * cfg.imageSize() * cfg.imageSize());
        float[] dFeatures = random(rnd, B * cfg.embed());
        report("vision tower fwd+bwd (tiny)", vector, scalar, warmup, seconds,
                lanes -> {
                    SimdVisionTower tower = new SimdVisionTower(cfg, lanes);
                    return () -> tower(tower, weights, images, dFeatures, B);
                });
    }

    private static int attention(Lanes lanes, float[] qkv, float[] dout, int B, int T, int C, int NH) {
        float[] out = new float[B * T * C], att = new float[B * NH * T * T], dqkv = new float[qkv.length];
        Attention.attentionForward(lanes, out, att, qkv, B, T, C, NH, false);
        Attention.attentionBackward(lanes, dqkv, dout, qkv, att, B, T, C, NH, false);
        return 31 * Arrays.hashCode(out) + Arrays.hashCode(dqkv);
    }

    private static int layerNorm(Lanes lanes, float[] x, float[] w, float[] b, float[] dout, int N, int C) {
        float[] out = new float[N * C], mean = new float[N], rstd = new float[N];
        float[] dx = new float[N * C], dw = new float[C], db = new float[C];
        LayerNorm.layernormForward(lanes, out, mean, rstd, x, w, b, N, C, 1e-6f);
        LayerNorm.layernormBackward(lanes, dx, dw, db, dout, x, w, mean, rstd, N, C);
        return 31 * (31 * Arrays.hashCode(out) + Arrays.hashCode(dx)) + Arrays.hashCode(dw);
    }

    private static int tower(SimdVisionTower tower, Map<String, Tensor> weights, float[] images, float[] dFeatures,
                             int B) {
        SimdVisionTower.SimdPass pass = tower.forward(weights, images, B, null, 0, false, false);
        Map<String, Tensor> grads = pass.backward(dFeatures, null);
        int h = Arrays.hashCode(pass.features());
        for (Tensor g : grads.values()) {
            h = 31 * h + Arrays.hashCode(g.floats());
        }
        return h;
    }

    private static void report(String name, Lanes vector, Lanes scalar, double warmup, double seconds,
                               java.util.function.Function<Lanes, Workload> make) {
        Workload vec = make.apply(vector), sca = make.apply(scalar);
        int vecCold = vec.run(), scaCold = sca.run();
        warm(vec, warmup);
        warm(sca, warmup);
        List<Double> tv = new ArrayList<>(), ts = new ArrayList<>();
        double spent = 0;
        while (spent < 2 * seconds) {
            spent += round(vec, tv) + round(sca, ts);
        }
        double mv = median(tv), ms = median(ts);
        print(name, vector, tv, mv, vecCold == vec.run());
        print(name, scalar, ts, ms, scaCold == sca.run());
        System.out.printf("%-34s scalar / vector = %.2fx%n", name, ms / mv);
    }

    private static void warm(Workload w, double seconds) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            w.run();
        }
    }

    /** Calls w for about half a second, appending each call's ms; returns the seconds spent. */
    private static double round(Workload w, List<Double> times) {
        long start = System.nanoTime(), end = start + 500_000_000L;
        long t = start;
        do {
            w.run();
            long now = System.nanoTime();
            times.add((now - t) / 1e6);
            t = now;
        } while (t < end);
        return (t - start) / 1e9;
    }

    private static void print(String name, Lanes lanes, List<Double> times, double median, boolean stable) {
        System.out.printf("%-34s %8s %12.3f %12.3f %12d %10s%n", name, lanes, median,
                times.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN), times.size(),
                stable ? "stable" : "CHANGED");
    }

    private static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length == 0 ? Double.NaN : a[a.length / 2];
    }
}
