package aclip4j.bench;

import aclip4j.kernel.Attention;
import aclip4j.kernel.FmaPeak;
import aclip4j.kernel.Lanes;
import aclip4j.kernel.Parallel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Attention forward and backward alone at one shape, against the FMA peak measured in the same run, on
 * {@code -Daclip4j.threads} threads. Default shape: ViT-S/16 at batch 32 (B 32, T 197, C 384, 12 heads).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Daclip4j.threads=2 \
 *      -cp target/test-classes:target/classes:$(cat target/test.cp) aclip4j.bench.AttentionBench [B T C H [causal]]
 * </pre>
 * FLOPs: 2 per multiply-add of the matrix products, two forward (logits, P·V) and four backward (datt, dq, dk,
 * dv): forward 4·B·H·T²·hs, backward 8·B·H·T²·hs (halved when causal).
 */
public final class AttentionBench {
    /** At least this long of calls before the 20 timed ones (and at least 5 calls). */
    private static final long WARMUP_NANOS = 3_000_000_000L;

    private AttentionBench() {}

    public static void main(String[] args) {
        int B = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int T = args.length > 1 ? Integer.parseInt(args[1]) : 197;
        int C = args.length > 2 ? Integer.parseInt(args[2]) : 384;
        int H = args.length > 3 ? Integer.parseInt(args[3]) : 12;
        boolean causal = args.length > 4 && Boolean.parseBoolean(args[4]);
        int threads = Parallel.threads();
        SplittableRandom r = new SplittableRandom(1);
        float[] qkv = new float[B * T * 3 * C], dout = new float[B * T * C];
        for (int i = 0; i < qkv.length; i++) {
            qkv[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < dout.length; i++) {
            dout[i] = (float) r.nextGaussian();
        }
        float[] out = new float[B * T * C], att = new float[B * H * T * T], dqkv = new float[qkv.length];
        Lanes lanes = Lanes.preferred();
        double hs = (double) C / H, scale = causal ? 0.5 : 1.0;
        double fwdFlops = 4.0 * B * H * T * T * hs * scale, bwdFlops = 2 * fwdFlops;
        List<Double> fwd = new ArrayList<>(), bwd = new ArrayList<>();
        // Warm-up by time, not by count: at small shapes (the text tower's 28 positions) 5 calls leave C2 still
        // compiling, and the median then read 4x the steady time.
        long warmEnd = System.nanoTime() + WARMUP_NANOS;
        for (int it = 0; it < 5 || System.nanoTime() < warmEnd; it++) {
            Attention.attentionForward(lanes, out, att, qkv, B, T, C, H, causal);
            Attention.attentionBackward(lanes, dqkv, dout, qkv, att, B, T, C, H, causal);
        }
        for (int it = 0; it < 20; it++) {
            long t0 = System.nanoTime();
            Attention.attentionForward(lanes, out, att, qkv, B, T, C, H, causal);
            long t1 = System.nanoTime();
            Attention.attentionBackward(lanes, dqkv, dout, qkv, att, B, T, C, H, causal);
            long t2 = System.nanoTime();
            fwd.add((t1 - t0) / 1e6);
            bwd.add((t2 - t1) / 1e6);
        }
        double peak = FmaPeak.gflops(threads);
        double f = median(fwd), b = median(bwd);
        System.out.printf(Locale.ROOT, "attention B %d T %d C %d H %d%s, %s, %d threads; FMA peak %.1f GFLOP/s%n", B, T,
                C, H, causal ? " causal" : "", lanes, threads, peak);
        System.out.printf(Locale.ROOT, "forward  %8.2f ms  %6.1f GFLOP/s  %5.1f %% of peak%n", f, fwdFlops / f / 1e6,
                100 * fwdFlops / f / 1e6 / peak);
        System.out.printf(Locale.ROOT, "backward %8.2f ms  %6.1f GFLOP/s  %5.1f %% of peak%n", b, bwdFlops / b / 1e6,
                100 * bwdFlops / b / 1e6 / peak);
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
