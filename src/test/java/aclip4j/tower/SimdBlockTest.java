package aclip4j.tower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import aclip4j.kernel.Lanes;
import aclip4j.tensor.Tensor;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A block run on its pooled rows only ({@link SimdBlock}'s class comment) against the same block on every row: the
 * pooled rows' outputs, the input gradient and every parameter gradient keep their bits (an exact zero may change
 * its sign, which no later step can see), for the ViT's block and the text tower's causal one, on shapes whose widths
 * hit the lane tails, at every width.
 */
class SimdBlockTest {
    private static final SimdBlock.Kind VIT = new SimdBlock.Kind(SimdBlock.Act.GELU, false, 1e-6f);
    private static final SimdBlock.Kind TEXT = new SimdBlock.Kind(SimdBlock.Act.QUICK_GELU, true, 1e-5f);

    /** {B, T, D, H}: widths 16, 15 and 33 (head sizes 8, 5, 11), 1 to 17 tokens. */
    private static final int[][] SHAPES = {{2, 5, 16, 2}, {3, 7, 15, 3}, {1, 17, 33, 3}, {4, 1, 16, 2}};

    @Test
    void pooledRowsGiveTheFullBlocksBits() {
        for (SimdBlock.Kind kind : new SimdBlock.Kind[] {VIT, TEXT}) {
            for (int[] shape : SHAPES) {
                for (Lanes lanes : Lanes.testWidths()) {
                    check(kind, lanes, shape[0], shape[1], shape[2], shape[3]);
                }
            }
        }
    }

    private static void check(SimdBlock.Kind kind, Lanes lanes, int B, int T, int D, int H) {
        String at = kind + " " + lanes + " B " + B + " T " + T + " D " + D + ": ";
        VisionConfig cfg = new VisionConfig(16, 16, D, 1, H, 8, 4);
        int F = 4 * D, BT = B * T;
        Map<String, int[]> shapes = Weights.visionShapes(cfg);
        Map<String, Tensor> weights = Init.vision(cfg, new SplittableRandom(B * 1000 + T));
        Random r = new Random(31L * D + T);
        for (Tensor t : weights.values()) { // LayerNorm weights away from 1, biases away from 0
            float[] v = t.floats();
            for (int i = 0; i < v.length; i++) {
                v[i] += (float) (r.nextGaussian() * 0.1);
            }
        }
        SimdBlock.Params w = new SimdBlock.Params(weights, shapes, Weights.BlockNames.vision(0));
        float[] in = gaussian(r, BT * D);
        int[] pooled = new int[B];
        for (int b = 0; b < B; b++) {
            pooled[b] = r.nextInt(T);
        }
        ActivationPool pool = new ActivationPool();
        SimdBlock.Saved full = SimdBlock.forward(lanes, pool, kind, w, in, B, T, D, H, F);
        SimdBlock.Saved part = SimdBlock.forward(lanes, pool, kind, w, in, B, T, D, H, F, pooled);
        assertEquals(B * D, part.out.length, at + "pooled output rows");
        float[] dPooled = gaussian(r, B * D), dFull = new float[BT * D];
        for (int b = 0; b < B; b++) {
            int row = b * T + pooled[b];
            assertRowBits(at + "output of sample " + b, full.out, row * D, part.out, b * D, D);
            System.arraycopy(dPooled, b * D, dFull, row * D, D);
        }
        Map<String, Tensor> gFull = Weights.zeros(shapes, n -> n.startsWith("blocks.0."));
        Map<String, Tensor> gPart = Weights.zeros(shapes, n -> n.startsWith("blocks.0."));
        float[] dinFull = SimdBlock.backward(lanes, pool, kind, w, full, dFull, gFull, B, T, D, H, F);
        float[] dinPart = SimdBlock.backward(lanes, pool, kind, w, part, dPooled, gPart, B, T, D, H, F);
        assertRowBits(at + "input gradient", dinFull, 0, dinPart, 0, BT * D);
        assertEquals(12, gFull.size(), at + "the block's parameters");
        for (String name : gFull.keySet()) {
            float[] a = gFull.get(name).floats(), p = gPart.get(name).floats();
            assertEquals(a.length, p.length, at + name);
            assertRowBits(at + name, a, 0, p, 0, a.length);
        }
    }

    /** The same bits, except that +0 and -0 count as one value. */
    private static void assertRowBits(String what, float[] expected, int eOff, float[] actual, int aOff, int n) {
        for (int i = 0; i < n; i++) {
            float e = expected[eOff + i], a = actual[aOff + i];
            if (Float.floatToIntBits(e) != Float.floatToIntBits(a) && !(e == 0f && a == 0f)) {
                fail(what + ": element " + i + " is " + a + ", the full block gives " + e);
            }
        }
    }

    private static float[] gaussian(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }
}
