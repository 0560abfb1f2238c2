package aclip4j.bench;

import static aclip4j.kernel.MatmulOracle.random;

import aclip4j.tensor.Tensor;
import aclip4j.kernel.Parallel;
import aclip4j.tower.Init;
import aclip4j.tower.Nd4jTextTower;
import aclip4j.tower.Nd4jVisionTower;
import aclip4j.tower.Presets;
import aclip4j.tower.SimdTextTower;
import aclip4j.tower.SimdVisionTower;
import aclip4j.tower.TextConfig;
import aclip4j.tower.TextTower;
import aclip4j.tower.VisionConfig;
import aclip4j.tower.VisionTower;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The towers' forward and forward + backward, SIMD (Vector API, {@link Parallel} threads) against ND4J (SameDiff on
 * the CPU backend, libnd4j threads set to the same count), on the same weights and inputs, in one JVM. Prints the
 * median ms per call of each and the ND4J / SIMD ratio.
 *
 * <pre>
 * mvn -o -B -q test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.cp
 * java --add-modules jdk.incubator.vector -Dorg.bytedeco.javacpp.cachedir=target/javacpp-cache \
 *      -cp target/test-classes:target/classes:$(cat target/test.cp) aclip4j.bench.TowerBench [preset] [B] [threads]
 * </pre>
 * {@code preset} is {@code tiny} (default; text {@code tiny}) or another vision preset, {@code vit-s16}, {@code vit-s16-timm}
 * or {@code vit-b16} (text {@code clip-base}, vocab 49408).
 */
public final class TowerBench {
    private TowerBench() {}

    public static void main(String[] args) {
        aclip4j.Nd4jMemory.capOffHeap();
        String preset = args.length > 0 ? args[0] : "tiny";
        int B = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
        double seconds = Double.parseDouble(System.getProperty("bench.seconds", "6"));
        Parallel.setThreads(threads);
        VisionConfig v = Presets.vision(preset);
        TextConfig t = preset.equals("tiny") ? Presets.text("tiny", 1000) : Presets.text("clip-base");
        System.out.printf("TowerBench: %s, B=%d, %d threads, vision S=%d p=%d D=%d depth=%d; text ctx=%d W=%d depth=%d;"
                        + " load average %.2f%n", preset, B, threads, v.imageSize(), v.patch(), v.width(), v.depth(),
                t.context(), t.width(), t.depth(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        SplittableRandom rnd = new SplittableRandom(1);
        Map<String, Tensor> vw = Init.vision(v, new SplittableRandom(2));
        Map<String, Tensor> tw = Init.text(t, new SplittableRandom(3));
        float[] images = random(rnd, B * 3 * v.imageSize() * v.imageSize());
        float[] dF = random(rnd, B * v.embed());
        int[] tokens = new int[B * t.context()];
        for (int b = 0; b < B; b++) {
            int len = 2 + rnd.nextInt(t.context() - 2);
            for (int i = 0; i < len; i++) {
                tokens[b * t.context() + i] = i == len - 1 ? t.vocab() - 1 : 1 + rnd.nextInt(t.vocab() - 2);
            }
        }
        float[] dT = random(rnd, B * t.embed());
        String[] work = {"vision forward", "vision forward+backward", "text forward", "text forward+backward"};
        // SIMD first, before ND4J has loaded: ND4J's native garbage, the collections JavaCPP forces to free it and
        // its idle OpenMP threads slowed later SIMD timings in the same process by up to 2x (vision forward +
        // backward 2199 ms after ND4J, 1120 ms alone).
        VisionTower sv = new SimdVisionTower(v);
        TextTower st = new SimdTextTower(t);
        double[] simd = {
            time(() -> sv.forward(vw, images, B, null, 0, false, false), seconds),
            time(() -> sv.forward(vw, images, B, null, 0, false, false).backward(dF, null), seconds),
            time(() -> st.forward(tw, tokens, B), seconds),
            time(() -> st.forward(tw, tokens, B).backward(dT), seconds)};
        Nd4j.getEnvironment().setMaxThreads(threads);
        VisionTower nv = new Nd4jVisionTower(v);
        TextTower nt = new Nd4jTextTower(t);
        double[] nd4j = {
            time(() -> nv.forward(vw, images, B, null, 0, false, false), seconds),
            time(() -> nv.forward(vw, images, B, null, 0, false, false).backward(dF, null), seconds),
            time(() -> nt.forward(tw, tokens, B), seconds),
            time(() -> nt.forward(tw, tokens, B).backward(dT), seconds)};
        System.out.printf("%-30s %14s %14s %10s%n", "work", "ND4J ms", "SIMD ms", "ND4J/SIMD");
        for (int i = 0; i < work.length; i++) {
            System.out.printf("%-30s %14.2f %14.2f %10.2f%n", work[i], nd4j[i], simd[i], nd4j[i] / simd[i]);
        }
    }

    /** Warms up for {@code seconds}, then returns the median ms of calls over another {@code seconds}. */
    private static double time(Runnable r, double seconds) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            r.run();
        }
        List<Double> ms = new ArrayList<>();
        end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end || ms.size() < 3) {
            long t0 = System.nanoTime();
            r.run();
            ms.add((System.nanoTime() - t0) / 1e6);
        }
        Collections.sort(ms);
        return ms.get(ms.size() / 2);
    }
}
