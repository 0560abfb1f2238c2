package aclip4j.bench;

import static aclip4j.kernel.MatmulOracle.random;

import aclip4j.kernel.FmaPeak;
import aclip4j.kernel.Lanes;
import aclip4j.kernel.Matmul;
import aclip4j.kernel.Parallel;
import java.util.SplittableRandom;

/**
 * The three passes of a linear layer timed apart, on the configured threads: forward ({@code inp @ weight^T}),
 * {@code dinp} ({@code dout @ weight}) and {@code dweight} ({@code dout^T @ inp}, whose A operand is read across
 * rows), each the fastest and the median of 15 calls after 5, then the FMA ceiling on the same threads.
 *
 * <pre>
 * mvn -o -B -q test-compile
 * java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes -Daclip4j.threads=2 \
 *      aclip4j.bench.MatmulPassBench [BTxCxOC,...]
 * </pre>
 * Default shapes: the ViT-S/16 batch-32 linears (6304 rows: fc2, fc1, qkv, proj) and the text tower's fc2.
 */
public final class MatmulPassBench {
    private MatmulPassBench() {}

    public static void main(String[] args) {
        String[] shapes = (args.length > 0 ? args[0]
                : "6304x1536x384,6304x384x1536,6304x384x1152,6304x384x384,2464x2048x512").split(",");
        Lanes lanes = Lanes.preferred();
        System.out.printf("MatmulPassBench: %d threads, %s%n", Parallel.threads(), lanes);
        for (String shape : shapes) {
            String[] d = shape.split("x");
            int BT = Integer.parseInt(d[0]), C = Integer.parseInt(d[1]), OC = Integer.parseInt(d[2]);
            SplittableRandom rnd = new SplittableRandom(1);
            float[] inp = random(rnd, BT * C), weight = random(rnd, OC * C), dout = random(rnd, BT * OC);
            float[] out = new float[BT * OC], dinp = new float[BT * C], dweight = new float[OC * C];
            double flops = 2.0 * BT * C * OC;
            String[] names = {"forward", "dinp", "dweight"};
            Runnable[] passes = {
                () -> Matmul.matmulForward(lanes, out, inp, weight, null, BT, C, OC),
                () -> Matmul.matmulBackward(lanes, dinp, null, null, dout, inp, weight, BT, C, OC),
                () -> Matmul.matmulBackward(lanes, null, dweight, null, dout, inp, weight, BT, C, OC)};
            for (int p = 0; p < passes.length; p++) {
                for (int i = 0; i < 5; i++) {
                    passes[p].run();
                }
                double[] t = new double[15];
                for (int i = 0; i < t.length; i++) {
                    long t0 = System.nanoTime();
                    passes[p].run();
                    t[i] = (System.nanoTime() - t0) / 1e9;
                }
                java.util.Arrays.sort(t);
                System.out.printf("%-16s %-8s %8.2f ms %7.1f GFLOP/s   median %8.2f ms %7.1f GFLOP/s%n", shape,
                        names[p], t[0] * 1e3, flops / t[0] / 1e9, t[t.length / 2] * 1e3, flops / t[t.length / 2] / 1e9);
            }
        }
        System.out.printf("FMA peak, %d threads: %.1f GFLOP/s%n", Parallel.threads(), FmaPeak.gflops(Parallel.threads()));
    }
}
