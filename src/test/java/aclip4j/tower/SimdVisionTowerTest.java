package aclip4j.tower;

import static aclip4j.kernel.GradCheck.assertClose;
import static aclip4j.kernel.GradCheck.dot;
import static aclip4j.kernel.GradCheck.randn;
import static aclip4j.kernel.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.tensor.Tensor;
import aclip4j.kernel.GradCheck;
import aclip4j.kernel.Lanes;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SimdVisionTowerTest {
    // S 16, p 4: G 4, N 16, T 17; D 16, 2 blocks, 2 heads (hs 8), E 8
    static final VisionConfig CFG = new VisionConfig(16, 4, 16, 2, 2, 8, 4);
    static final int B = 2;

    /** Init's weights plus noise, so LayerNorm gains, biases and every path carry a visible gradient. */
    static Map<String, Tensor> weights(long seed) {
        return weights(CFG, seed);
    }

    static Map<String, Tensor> weights(VisionConfig cfg, long seed) {
        Map<String, Tensor> w = Init.vision(cfg, new SplittableRandom(seed));
        Random r = new Random(seed);
        for (Tensor t : w.values()) {
            float[] v = t.floats();
            for (int i = 0; i < v.length; i++) {
                v[i] += (float) (r.nextGaussian() * 0.1);
            }
        }
        return w;
    }

    static float[] images(long seed) {
        return randn(new Random(seed), B * 3 * CFG.imageSize() * CFG.imageSize(), 1);
    }

    static final int K = 6;
    static final int[] KEEP = {0, 3, 5, 6, 10, 15, 1, 2, 7, 8, 12, 14};

    @Test
    void gradientsMatchFiniteDifferences() {
        for (int[] keep : new int[][] {null, KEEP}) {
            SimdVisionTower tower = new SimdVisionTower(CFG, Lanes.preferred());
            Map<String, Tensor> w = weights(1);
            float[] img = images(2);
            Random r = new Random(3);
            float[] probeF = randn(r, B * CFG.embed(), 1), probeC = randn(r, B * CFG.width(), 1);
            int k = keep == null ? 0 : K;
            Map<String, Tensor> grads = tower.forward(w, img, B, keep, k, false, false).backward(probeF, probeC);
            assertEquals(Weights.visionShapes(CFG).keySet(), grads.keySet());
            for (Map.Entry<String, Tensor> e : w.entrySet()) {
                float[] param = e.getValue().floats();
                float[] g = grads.get(e.getKey()).floats();
                assertArrayEquals(e.getValue().shape(), grads.get(e.getKey()).shape());
                GradCheck.check((keep == null ? "" : "masked ") + e.getKey(), param, g,
                        GradCheck.sample(r, param.length, 4), () -> {
                            SimdVisionTower.SimdPass p = tower.forward(w, img, B, keep, k, false, false);
                            return dot(p.features(), probeF) + dot(p.cls(), probeC);
                        }, 2e-3, 3e-3, 2e-2);
            }
        }
    }

    @Test
    void droppedPatchesGetNoGradientButTheirPositionsDoFromKeptRows() {
        SimdVisionTower tower = new SimdVisionTower(CFG, Lanes.SCALAR);
        Map<String, Tensor> w = weights(4);
        int[] keep = {0, 3, 5, 6, 10, 15, 0, 3, 5, 6, 10, 15}; // both rows keep the same patches
        Map<String, Tensor> g = tower.forward(w, images(5), B, keep, K, false, false)
                .backward(randn(new Random(6), B * CFG.embed(), 1), null);
        float[] dpos = g.get("pos_embed").floats();
        int D = CFG.width();
        for (int i = 0; i < CFG.tokens(); i++) {
            final int patch = i;
            boolean kept = Arrays.stream(keep, 0, K).anyMatch(v -> v == patch);
            double norm = 0;
            for (int d = 0; d < D; d++) {
                norm += Math.abs(dpos[(1 + i) * D + d]);
            }
            assertEquals(kept, norm > 0, "position of patch " + i + (kept ? " kept" : " dropped"));
        }
    }

    @Test
    void maskedForwardEqualsTheBlocksOnTheGatheredTokens() {
        SimdVisionTower tower = new SimdVisionTower(CFG);
        Map<String, Tensor> w = weights(7);
        float[] img = images(8);
        SimdVisionTower.SimdPass full = tower.forward(w, img, B, null, 0, false, false);
        SimdVisionTower.SimdPass masked = tower.forward(w, img, B, KEEP, K, false, false);
        int T = CFG.tokens() + 1, D = CFG.width();
        float[] x0 = full.embeddedTokens();
        float[] gathered = new float[B * (1 + K) * D];
        for (int b = 0; b < B; b++) {
            System.arraycopy(x0, b * T * D, gathered, b * (1 + K) * D, D); // CLS first
            for (int k = 0; k < K; k++) {
                System.arraycopy(x0, (b * T + 1 + KEEP[b * K + k]) * D, gathered, (b * (1 + K) + 1 + k) * D, D);
            }
        }
        SimdVisionTower.SimdPass direct = tower.forwardTokens(w, gathered, B, 1 + K);
        assertArrayEquals(direct.features(), masked.features());
        assertArrayEquals(direct.cls(), masked.cls());
        assertFalse(Arrays.equals(full.features(), masked.features()), "dropping tokens must change the features");
    }

    @Test
    void keepingEveryTokenEqualsTheUnmaskedPass() {
        SimdVisionTower tower = new SimdVisionTower(CFG);
        Map<String, Tensor> w = weights(9);
        float[] img = images(10);
        int N = CFG.tokens();
        int[] all = new int[B * N];
        for (int i = 0; i < all.length; i++) {
            all[i] = i % N;
        }
        float[] probe = randn(new Random(11), B * CFG.embed(), 1);
        SimdVisionTower.SimdPass a = tower.forward(w, img, B, null, 0, false, false);
        SimdVisionTower.SimdPass b = tower.forward(w, img, B, all, N, false, false);
        assertArrayEquals(a.features(), b.features());
        Map<String, Tensor> ga = a.backward(probe, null), gb = b.backward(probe, null);
        for (String name : ga.keySet()) {
            assertArrayEquals(ga.get(name).floats(), gb.get(name).floats(), name);
        }
    }

    @Test
    void attentiveScoresAreTheMeanClsAttention() {
        SimdVisionTower tower = new SimdVisionTower(CFG);
        Map<String, Tensor> w = weights(12);
        float[] img = images(13);
        int N = CFG.tokens(), T = N + 1, H = CFG.heads(), L = CFG.depth();
        for (boolean last : new boolean[] {false, true}) {
            SimdVisionTower.SimdPass p = tower.forward(w, img, B, null, 0, true, last);
            float[] expected = new float[B * N];
            for (int b = 0; b < B; b++) {
                double total = 0;
                for (int i = 0; i < N; i++) {
                    double s = 0;
                    int layers = 0;
                    for (int l = last ? L - 1 : 0; l < L; l++, layers++) {
                        for (int h = 0; h < H; h++) {
                            s += p.attention(l)[((b * H + h) * T + 0) * T + 1 + i];
                        }
                    }
                    expected[b * N + i] = (float) (s / (layers * H));
                    total += expected[b * N + i];
                }
                // the CLS-to-CLS weight is dropped without renormalising (§3): scores sum to below 1
                assertTrue(total < 1.0 && total > 0.0, "score mass " + total);
            }
            float[] scores = new aclip4j.mask.SimdAttentionScore().fromTowerRows(p.clsAttention(), B, H, T);
            assertClose("scores last=" + last, expected, scores, 1e-7, 1e-6);
            // the rows handed out are the attention rows of the CLS query, bit for bit
            for (int l = last ? L - 1 : 0, r = 0; l < L; l++, r++) {
                for (int bh = 0; bh < B * H; bh++) {
                    for (int j = 0; j < T; j++) {
                        assertEquals(Float.floatToRawIntBits(p.attention(l)[bh * T * T + j]),
                                Float.floatToRawIntBits(p.clsAttention()[(r * B * H + bh) * T + j]));
                    }
                }
            }
        }
        assertNull(tower.forward(w, img, B, null, 0, false, false).clsAttention());
        assertThrows(IllegalArgumentException.class, () -> tower.forward(w, img, B, KEEP, K, true, false));
    }

    @Test
    void featuresAreTheProjectedPostNormCls() {
        SimdVisionTower tower = new SimdVisionTower(CFG);
        Map<String, Tensor> w = weights(14);
        SimdVisionTower.SimdPass p = tower.forward(w, images(15), B, null, 0, false, false);
        int D = CFG.width(), E = CFG.embed();
        float[] proj = w.get("image_projection").floats(); // [D,E]: x @ proj, not a Linear weight
        float[] expected = new float[B * E];
        for (int b = 0; b < B; b++) {
            for (int e = 0; e < E; e++) {
                double s = 0;
                for (int d = 0; d < D; d++) {
                    s += (double) p.cls()[b * D + d] * proj[d * E + e];
                }
                expected[b * E + e] = (float) s;
            }
        }
        assertClose("features", expected, p.features(), 1e-5, 1e-5);
    }

    /**
     * Vision configs whose widths hit the lane tails: CFG (D 16, T 17, patch dim 48), D 15 with head size 5, T 10,
     * patch dim 75 and MLP 30, and D 33 with head size 11, T 37, patch dim 12 and MLP 33.
     */
    static final VisionConfig[] TAIL_CONFIGS = {
        CFG, new VisionConfig(15, 5, 15, 1, 3, 7, 2), new VisionConfig(12, 2, 33, 1, 3, 17, 1)};

    /** K strictly ascending patch indices of [0, N) per row, drawn at random. */
    static int[] keep(Random r, int N, int K) {
        int[] keep = new int[B * K];
        for (int b = 0; b < B; b++) {
            int[] order = r.ints(0, N).distinct().limit(K).sorted().toArray();
            System.arraycopy(order, 0, keep, b * K, K);
        }
        return keep;
    }

    /** A tower's inputs for the bit tests: weights, images, probes, and K kept patches per row. */
    record Case(Map<String, Tensor> w, float[] img, float[] probeF, float[] probeC, int k, int[] kept) {
        static Case of(VisionConfig cfg, long seed) {
            Map<String, Tensor> w = weights(cfg, seed);
            Random r = new Random(seed + 1);
            float[] img = randn(r, B * 3 * cfg.imageSize() * cfg.imageSize(), 1);
            float[] probeF = randn(r, B * cfg.embed(), 1), probeC = randn(r, B * cfg.width(), 1);
            int N = cfg.tokens(), k = cfg == CFG ? K : N / 2 + 1;
            return new Case(w, img, probeF, probeC, k, cfg == CFG ? KEEP : keep(r, N, k));
        }
    }

    /** docs/SPEC.md §13: every width gives the scalar specification's bits, and repeated runs the same bits. */
    @Test
    void everyLaneWidthGivesTheScalarBitsAndRunsRepeatBitForBit() {
        for (VisionConfig cfg : TAIL_CONFIGS) {
            Case c = Case.of(cfg, 16);
            Map<String, Tensor> w = c.w();
            float[] img = c.img(), probeF = c.probeF(), probeC = c.probeC();
            int k = c.k();
            for (int[] keep : new int[][] {null, c.kept()}) {
                int kk = keep == null ? 0 : k;
                boolean scores = keep == null;
                SimdVisionTower.SimdPass ref = new SimdVisionTower(cfg, Lanes.SCALAR)
                        .forward(w, img, B, keep, kk, scores, false);
                float[] refEmbedded = ref.embeddedTokens().clone(); // backward recycles the activations
                float[][] refAttention = new float[cfg.depth()][];
                for (int l = 0; l < cfg.depth(); l++) {
                    refAttention[l] = ref.attention(l).clone();
                }
                Map<String, Tensor> gref = ref.backward(probeF, probeC);
                for (Lanes lanes : Lanes.testWidths()) {
                    String at = lanes + " " + cfg + (keep == null ? " unmasked: " : " masked: ");
                    SimdVisionTower tower = new SimdVisionTower(cfg, lanes);
                    SimdVisionTower.SimdPass a = tower.forward(w, img, B, keep, kk, scores, false);
                    SimdVisionTower.SimdPass b = tower.forward(w, img, B, keep, kk, scores, false);
                    assertSameBits(at + "features, run twice", a.features(), b.features());
                    assertSameBits(at + "embedded tokens", refEmbedded, a.embeddedTokens());
                    for (int l = 0; l < cfg.depth(); l++) {
                        assertSameBits(at + "attention " + l, refAttention[l], a.attention(l));
                    }
                    assertSameBits(at + "cls", ref.cls(), a.cls());
                    assertSameBits(at + "features", ref.features(), a.features());
                    if (scores) {
                        assertSameBits(at + "CLS attention", ref.clsAttention(), a.clsAttention());
                    }
                    Map<String, Tensor> ga = a.backward(probeF, probeC), gb = b.backward(probeF, probeC);
                    assertEquals(gref.keySet(), ga.keySet());
                    for (String name : ga.keySet()) {
                        assertSameBits(at + name + ", run twice", ga.get(name).floats(), gb.get(name).floats());
                        assertSameBits(at + name, gref.get(name).floats(), ga.get(name).floats());
                    }
                }
            }
        }
    }

    /**
     * Passes on recycled activation and gradient arrays give the bits of passes on fresh ones. The pool fills every
     * array given back with NaN, so an array a kernel read before writing it (or a gradient not zeroed before the
     * kernels add into it) would turn the result into NaN; and the pool's size after a second forward and backward
     * shows that the second pass took its arrays from the first.
     */
    @Test
    void recycledArraysGiveTheSameBits() {
        for (VisionConfig cfg : TAIL_CONFIGS) {
            Case c = Case.of(cfg, 31);
            Map<String, Tensor> w = c.w();
            float[] img = c.img(), probeF = c.probeF(), probeC = c.probeC();
            int k = c.k();
            int[] kept = c.kept();
            for (Lanes lanes : new Lanes[] {Lanes.SCALAR, Lanes.preferred()}) {
                ActivationPool pool = new ActivationPool(true);
                SimdVisionTower recycling = new SimdVisionTower(cfg, lanes, pool);
                long held = -1;
                for (int round = 0; round < 3; round++) {
                    for (int[] keep : new int[][] {null, kept}) {
                        int kk = keep == null ? 0 : k;
                        String at = lanes + " " + cfg + " round " + round + (keep == null ? " unmasked" : " masked");
                        // a forward-only pass (as the EMA tower's), released, then one with its backward
                        SimdVisionTower.SimdPass ema = recycling.forward(w, img, B, null, 0, true, false);
                        float[] clsAttention = ema.clsAttention().clone();
                        ema.release();
                        assertSameBits(at + ": CLS attention survives release", clsAttention, ema.clsAttention());
                        SimdVisionTower.SimdPass fresh = new SimdVisionTower(cfg, lanes).forward(w, img, B, keep, kk,
                                false, false);
                        SimdVisionTower.SimdPass again = recycling.forward(w, img, B, keep, kk, false, false);
                        assertSameBits(at + ": features", fresh.features(), again.features());
                        assertSameBits(at + ": cls", fresh.cls(), again.cls());
                        Map<String, Tensor> gf = fresh.backward(probeF, probeC), ga = again.backward(probeF, probeC);
                        assertEquals(gf.keySet(), ga.keySet());
                        for (String name : gf.keySet()) {
                            assertSameBits(at + ": " + name, gf.get(name).floats(), ga.get(name).floats());
                        }
                        Map<String, Tensor> withOthers = new LinkedHashMap<>(ga);
                        withOthers.put("text.not.mine", Tensor.f32(new float[3], new int[] {3}));
                        recycling.recycle(withOthers); // the next backward adds into these, poisoned, arrays
                    }
                    if (round == 1) {
                        held = pool.heldFloats();
                    } else if (round == 2) {
                        assertEquals(held, pool.heldFloats(), "a later round allocates nothing the pool lacks");
                    }
                    assertTrue(pool.heldFloats() > 0, "backward gave the activations back");
                }
            }
        }
        SimdVisionTower tower = new SimdVisionTower(CFG);
        SimdVisionTower.SimdPass p = tower.forward(weights(33), images(34), B, null, 0, false, false);
        float[] probeF = new float[B * CFG.embed()];
        Map<String, Tensor> g = p.backward(probeF, null);
        assertThrows(IllegalStateException.class, () -> p.backward(probeF, null), "backward runs once");
        assertThrows(IllegalStateException.class, () -> p.attention(0), "activations are gone after backward");
        tower.recycle(g);
        IllegalStateException twice = assertThrows(IllegalStateException.class, () -> tower.recycle(g));
        assertTrue(twice.getMessage().contains("given back twice"), twice.getMessage());
    }

    @Test
    void badInputIsRefused() {
        SimdVisionTower tower = new SimdVisionTower(CFG);
        Map<String, Tensor> w = weights(19);
        float[] img = images(20);
        assertThrows(IllegalArgumentException.class, () -> tower.forward(w, new float[5], B, null, 0, false, false));
        int[] unsorted = KEEP.clone();
        unsorted[1] = 0;
        assertThrows(IllegalArgumentException.class, () -> tower.forward(w, img, B, unsorted, K, false, false));
        int[] outOfRange = KEEP.clone();
        outOfRange[K - 1] = CFG.tokens();
        assertThrows(IllegalArgumentException.class, () -> tower.forward(w, img, B, outOfRange, K, false, false));
        Map<String, Tensor> missing = new LinkedHashMap<>(w);
        missing.remove("blocks.1.mlp.fc2.bias");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tower.forward(missing, img, B, null, 0, false, false));
        assertTrue(e.getMessage().contains("blocks.1.mlp.fc2.bias"), e.getMessage());
        Map<String, Tensor> wrongShape = new LinkedHashMap<>(w);
        wrongShape.put("image_projection", Tensor.f32(new float[CFG.width() * CFG.embed()], CFG.embed(), CFG.width()));
        assertThrows(IllegalArgumentException.class, () -> tower.forward(wrongShape, img, B, null, 0, false, false));
        float[] nan = img.clone();
        nan[3] = Float.NaN;
        assertThrows(IllegalArgumentException.class, () -> tower.forward(w, nan, B, null, 0, false, false));
    }

    @Test
    void positionResamplingKeepsClsAndInterpolatesBilinearly() {
        int G = 4, D = 3;
        float[] pos = new float[(1 + G * G) * D];
        for (int t = 0; t < 1 + G * G; t++) {
            for (int d = 0; d < D; d++) {
                pos[t * D + d] = t == 0 ? 100 + d : (t - 1) / G * 10 + (t - 1) % G + d * 0.5f; // 10*row + col
            }
        }
        Tensor same = PositionEmbedding.resamplePosEmbed(Tensor.f32(pos, 1, 1 + G * G, D), G);
        assertArrayEquals(pos, same.floats(), "resampling to the same grid is the identity");
        Tensor half = PositionEmbedding.resamplePosEmbed(Tensor.f32(pos, 1, 1 + G * G, D), 2);
        assertArrayEquals(new int[] {1, 5, D}, half.shape());
        float[] h = half.floats();
        for (int d = 0; d < D; d++) {
            assertEquals(100 + d, h[d]);
            // 4 → 2, align_corners=false: output pixel o samples source 2o + 0.5, the mean of rows/cols 2o and 2o+1
            for (int oy = 0; oy < 2; oy++) {
                for (int ox = 0; ox < 2; ox++) {
                    double expected = 10 * (2 * oy + 0.5) + (2 * ox + 0.5) + d * 0.5;
                    assertEquals(expected, h[(1 + oy * 2 + ox) * D + d], 1e-5);
                }
            }
        }
        // upsampling 2 → 4 clamps at the border: first output samples src max(0, -0.25) = 0
        float[] small = {0, 0, 1, 2, 3};
        float[] up = PositionEmbedding.resamplePosEmbed(Tensor.f32(small, 1, 5, 1), 4).floats();
        float[] expectedUp = {0, 0, 0.25f, 0.75f, 1, 0.5f, 0.75f, 1.25f, 1.5f, 1.5f, 1.75f, 2.25f, 2.5f, 2, 2.25f, 2.75f, 3};
        assertArrayEquals(expectedUp, up, 1e-6f);
        VisionConfig eff = CFG.withImageSize(8);
        Map<String, Tensor> w = PositionEmbedding.atResolution(weights(21), CFG, 8);
        float[] img = randn(new Random(22), B * 3 * 8 * 8, 1);
        assertEquals(B * CFG.embed(), new SimdVisionTower(eff).forward(w, img, B, null, 0, true, false).features().length);
    }
}
