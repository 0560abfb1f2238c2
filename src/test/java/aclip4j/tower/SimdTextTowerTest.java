package aclip4j.tower;

import static aclip4j.kernel.GradCheck.assertClose;
import static aclip4j.kernel.GradCheck.dot;
import static aclip4j.kernel.GradCheck.randn;
import static aclip4j.kernel.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import aclip4j.tensor.Tensor;
import aclip4j.kernel.GradCheck;
import aclip4j.kernel.Lanes;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SimdTextTowerTest {
    // vocab 20, context 8, W 16, 2 blocks, 2 heads, E 8
    static final TextConfig CFG = new TextConfig(20, 8, 16, 2, 2, 8);
    static final int B = 2, CTX = 8;
    // row 0: EOT (19) at 5; row 1: the largest id 17 appears twice, pooling takes position 2
    static final int[] TOKENS = {18, 3, 7, 7, 1, 19, 0, 0, 5, 2, 17, 9, 17, 0, 0, 0};

    static Map<String, Tensor> weights(long seed) {
        return weights(CFG, seed);
    }

    /**
     * Text configs whose widths hit the lane tails: CFG (W 16, head size 8, MLP 64), W 15 with head size 5 and
     * MLP 60, W 33 with head size 11 and MLP 132; contexts 8, 5 and 17 (causal softmax rows of 1 to 17).
     */
    static final TextConfig[] TAIL_CONFIGS = {
        CFG, new TextConfig(13, 5, 15, 1, 3, 7), new TextConfig(9, 17, 33, 1, 3, 17)};

    static Map<String, Tensor> weights(TextConfig cfg, long seed) {
        Map<String, Tensor> w = Init.text(cfg, new SplittableRandom(seed));
        Random r = new Random(seed);
        for (Tensor t : w.values()) {
            float[] v = t.floats();
            for (int i = 0; i < v.length; i++) {
                v[i] += (float) (r.nextGaussian() * 0.1);
            }
        }
        return w;
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        SimdTextTower tower = new SimdTextTower(CFG, Lanes.preferred());
        Map<String, Tensor> w = weights(1);
        Random r = new Random(2);
        float[] probe = randn(r, B * CFG.embed(), 1);
        Map<String, Tensor> grads = tower.forward(w, TOKENS, B).backward(probe);
        assertEquals(Weights.textShapes(CFG).keySet(), grads.keySet());
        for (Map.Entry<String, Tensor> e : w.entrySet()) {
            float[] param = e.getValue().floats();
            float[] g = grads.get(e.getKey()).floats();
            int[] idx = GradCheck.sample(r, param.length, 4);
            if (e.getKey().equals("token_embedding.weight")) {
                // rows of used ids (the repeated 7 and 17 among them) and one unused id, whose gradient is 0
                idx = new int[] {7 * 16 + 3, 17 * 16 + 5, 19 * 16, 18 * 16 + 15, 11 * 16 + 2};
                assertEquals(0f, g[11 * 16 + 2]);
            }
            GradCheck.check(e.getKey(), param, g, idx,
                    () -> dot(tower.forward(w, TOKENS, B).features(), probe), 2e-3, 3e-3, 2e-2);
        }
    }

    @Test
    void laterTokensDoNotChangeEarlierPositions() {
        SimdTextTower tower = new SimdTextTower(CFG).withEveryPosition();
        Map<String, Tensor> w = weights(3);
        int[] changed = TOKENS.clone();
        int j = 4;
        changed[j] = 11;            // row 0, position 4 (before its EOT)
        changed[CTX + 6] = 13;      // row 1, position 6 (after its EOT)
        float[] a = tower.forward(w, TOKENS, B).hidden(), b = tower.forward(w, changed, B).hidden();
        int W = CFG.width();
        for (int t = 0; t < CTX; t++) {
            float[] ra = Arrays.copyOfRange(a, t * W, (t + 1) * W), rb = Arrays.copyOfRange(b, t * W, (t + 1) * W);
            if (t < j) {
                assertArrayEquals(ra, rb, "row 0 position " + t + " must not see position " + j);
            } else {
                assertFalse(Arrays.equals(ra, rb), "row 0 position " + t + " sees position " + j);
            }
            float[] sa = Arrays.copyOfRange(a, (CTX + t) * W, (CTX + t + 1) * W);
            float[] sb = Arrays.copyOfRange(b, (CTX + t) * W, (CTX + t + 1) * W);
            assertEquals(t < 6, Arrays.equals(sa, sb), "row 1 position " + t);
        }
        // row 1 pools position 2, before the change: its features stay
        float[] fa = tower.forward(w, TOKENS, B).features(), fb = tower.forward(w, changed, B).features();
        int E = CFG.embed();
        assertArrayEquals(Arrays.copyOfRange(fa, E, 2 * E), Arrays.copyOfRange(fb, E, 2 * E));
    }

    @Test
    void shorterContextComputesTheSamePrefix() {
        SimdTextTower tower = new SimdTextTower(CFG).withEveryPosition();
        Map<String, Tensor> w = weights(4);
        int c = 6;
        int[] prefix = new int[B * c];
        for (int b = 0; b < B; b++) {
            System.arraycopy(TOKENS, b * CTX, prefix, b * c, c);
        }
        float[] full = tower.forward(w, TOKENS, B).hidden(), part = tower.forward(w, prefix, B).hidden();
        int W = CFG.width();
        for (int b = 0; b < B; b++) {
            assertClose("prefix row " + b, Arrays.copyOfRange(full, b * CTX * W, (b * CTX + c) * W),
                    Arrays.copyOfRange(part, b * c * W, (b + 1) * c * W), 1e-6, 1e-6);
        }
    }

    @Test
    void poolingTakesTheFirstLargestIdThroughLnFinalAndProjection() {
        SimdTextTower tower = new SimdTextTower(CFG).withEveryPosition();
        Map<String, Tensor> w = weights(5);
        SimdTextTower.SimdPass p = tower.forward(w, TOKENS, B);
        assertSameBits("features from the positions up to the last end of text, the last block on the pooled rows", p.features(),
                new SimdTextTower(CFG).forward(w, TOKENS, B).features());
        assertThrows(IllegalStateException.class, () -> new SimdTextTower(CFG).forward(w, TOKENS, B).hidden());
        assertArrayEquals(new int[] {5, 2}, p.eot());
        assertEquals(6, SimdTextTower.positionsRead(TOKENS, B, CTX), "up to row 0's end of text at 5");
        int W = CFG.width(), E = CFG.embed();
        float[] h = p.hidden(), g = w.get("ln_final.weight").floats(), bias = w.get("ln_final.bias").floats();
        float[] proj = w.get("text_projection").floats();
        float[] expected = new float[B * E];
        int[] at = {5, 2};
        for (int b = 0; b < B; b++) {
            int row = (b * CTX + at[b]) * W;
            double m = 0, v = 0;
            for (int i = 0; i < W; i++) {
                m += h[row + i];
            }
            m /= W;
            for (int i = 0; i < W; i++) {
                v += (h[row + i] - m) * (h[row + i] - m);
            }
            double s = 1 / Math.sqrt(v / W + 1e-5);
            for (int e = 0; e < E; e++) {
                double acc = 0;
                for (int i = 0; i < W; i++) {
                    acc += ((h[row + i] - m) * s * g[i] + bias[i]) * proj[i * E + e];
                }
                expected[b * E + e] = (float) acc;
            }
        }
        assertClose("pooled features", expected, p.features(), 1e-5, 1e-4);
    }

    /**
     * docs/SPEC.md §13: every width gives the scalar specification's bits, and repeated runs the same bits. The
     * reference runs the last block on every position; the towers under test on the pooled rows only (the default),
     * so this also checks that leaving the other rows out changes no bit of the features or of any gradient.
     */
    @Test
    void everyLaneWidthGivesTheScalarBitsAndRunsRepeatBitForBit() {
        for (TextConfig cfg : TAIL_CONFIGS) {
            Map<String, Tensor> w = weights(cfg, 6);
            Random r = new Random(7);
            int[] tokens = cfg == CFG ? TOKENS : new int[B * cfg.context()];
            for (int i = 0; cfg != CFG && i < tokens.length; i++) {
                tokens[i] = r.nextInt(cfg.vocab());
            }
            float[] probe = randn(r, B * cfg.embed(), 1);
            SimdTextTower.SimdPass ref = new SimdTextTower(cfg, Lanes.SCALAR).withEveryPosition().forward(w, tokens, B);
            float[] refHidden = ref.hidden().clone(); // backward recycles the activations
            Map<String, Tensor> gref = ref.backward(probe);
            for (Lanes lanes : Lanes.testWidths()) {
                String at = lanes + " " + cfg + ": ";
                SimdTextTower tower = new SimdTextTower(cfg, lanes);
                SimdTextTower.SimdPass a = tower.forward(w, tokens, B), b = tower.forward(w, tokens, B);
                assertSameBits(at + "features, run twice", a.features(), b.features());
                assertSameBits(at + "hidden", refHidden, tower.withEveryPosition().forward(w, tokens, B).hidden());
                assertSameBits(at + "features", ref.features(), a.features());
                Map<String, Tensor> ga = a.backward(probe), gb = b.backward(probe);
                assertEquals(gref.keySet(), ga.keySet());
                for (String name : ga.keySet()) {
                    assertSameBits(at + name + ", run twice", ga.get(name).floats(), gb.get(name).floats());
                    assertSameBits(at + name, gref.get(name).floats(), ga.get(name).floats());
                }
            }
        }
    }

    /**
     * Gradient arrays given back with {@link SimdTextTower#recycle} (poisoned with NaN by the test pool) serve the
     * next backward, which gives the bits of a fresh tower's; other names in the map are left alone.
     */
    @Test
    void recycledGradientsGiveTheSameBits() {
        Map<String, Tensor> w = weights(CFG, 11);
        float[] probe = randn(new Random(12), B * CFG.embed(), 1);
        Map<String, Tensor> want = new SimdTextTower(CFG).forward(w, TOKENS, B).backward(probe);
        ActivationPool pool = new ActivationPool(true);
        SimdTextTower tower = new SimdTextTower(CFG, Lanes.preferred(), pool);
        float[] other = {1f, 2f, 3f};
        long held = -1;
        for (int round = 0; round < 3; round++) {
            Map<String, Tensor> g = tower.forward(w, TOKENS, B).backward(probe);
            assertEquals(want.keySet(), g.keySet());
            for (String name : want.keySet()) {
                assertSameBits("round " + round + ": " + name, want.get(name).floats(), g.get(name).floats());
            }
            Map<String, Tensor> withOthers = new java.util.LinkedHashMap<>(g);
            withOthers.put("blocks.0.attn.qkv.bias", Tensor.f32(other, new int[] {3}));
            tower.recycle(withOthers);
            if (round == 1) {
                held = pool.heldFloats();
            } else if (round == 2) {
                assertEquals(held, pool.heldFloats(), "the third round allocated nothing new");
            }
        }
        assertSameBits("a vision name's array is not taken", new float[] {1f, 2f, 3f}, other);
    }

    @Test
    void badTokensAreRefused() {
        SimdTextTower tower = new SimdTextTower(CFG);
        Map<String, Tensor> w = weights(8);
        int[] big = TOKENS.clone();
        big[3] = 20;
        assertThrows(IllegalArgumentException.class, () -> tower.forward(w, big, B));
        int[] negative = TOKENS.clone();
        negative[0] = -1;
        assertThrows(IllegalArgumentException.class, () -> tower.forward(w, negative, B));
        assertThrows(IllegalArgumentException.class, () -> tower.forward(w, new int[2 * 9], B), "longer than context");
        assertThrows(IllegalArgumentException.class, () -> tower.forward(w, new int[7], B), "not [B,ctx]");
    }
}
