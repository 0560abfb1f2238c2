package aclip4j.tower;

import static aclip4j.kernel.GradCheck.assertClose;
import static aclip4j.kernel.GradCheck.dot;
import static aclip4j.kernel.GradCheck.randn;
import static aclip4j.kernel.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.tensor.Tensor;
import aclip4j.kernel.GradCheck;
import aclip4j.kernel.Lanes;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SimdSslHeadTest {
    static final HeadsConfig CFG = new HeadsConfig(12, 17, 6, 15, 7);
    static final int B = 4;
    static final double H = 1e-3;

    static Map<String, Tensor> weights(SslHead.Kind kind, long seed) {
        return weights(kind, CFG, seed);
    }

    /** Head sizes whose widths hit the tails of every lane count (1, primes, 15, 16, 17, 31, 33). */
    static final HeadsConfig[] TAIL_CONFIGS = {
        CFG, new HeadsConfig(1, 2, 3, 5, 7), new HeadsConfig(33, 16, 31, 17, 15)};

    static Map<String, Tensor> weights(SslHead.Kind kind, HeadsConfig cfg, long seed) {
        Map<String, Tensor> w = Init.head(kind, cfg, new SplittableRandom(seed));
        Random r = new Random(seed);
        for (Map.Entry<String, Tensor> e : w.entrySet()) {
            float[] v = e.getValue().floats();
            for (int i = 0; i < v.length; i++) {
                v[i] += (float) (r.nextGaussian() * 0.1);
                if (e.getKey().endsWith("running_var")) {
                    v[i] = Math.abs(v[i]) + 0.5f;
                }
            }
        }
        return w;
    }

    /**
     * Gradient arrays given back under a prefix come out of the next backward again, cleared: the same array
     * objects, holding the bits a head that never recycled computes (they are not added to the old values).
     */
    @Test
    void recycledGradientArraysComeBackClearedWithTheSameBits() {
        for (SslHead.Kind kind : SslHead.Kind.values()) {
            Map<String, Tensor> w = weights(kind, 5);
            int din = SslHead.shapes(kind, CFG).values().iterator().next()[1];
            float[] x = randn(new Random(6), B * din, 1.0);
            SimdSslHead head = new SimdSslHead(kind, CFG);
            SslHead.Pass pass = head.forward(w, x, B, true);
            float[] dOut = randn(new Random(7), pass.out().length, 1.0);
            Map<String, Tensor> first = pass.backward(dOut).weights();
            Map<String, Tensor> prefixed = new java.util.LinkedHashMap<>();
            first.forEach((name, t) -> prefixed.put("im_pred_byol." + name, t));
            prefixed.put("unrelated.weight", Tensor.f32(new float[3], new int[] {3}));
            head.recycle(prefixed, "im_pred_byol.");
            Map<String, Tensor> second = head.forward(w, x, B, true).backward(dOut).weights();
            Map<String, Tensor> fresh = new SimdSslHead(kind, CFG).forward(w, x, B, true).backward(dOut).weights();
            assertEquals(first.keySet(), second.keySet());
            for (String name : first.keySet()) {
                float[] again = second.get(name).floats();
                boolean reused = false;
                for (Tensor t : first.values()) {
                    reused |= t.floats() == again;
                }
                assertTrue(reused, kind + " " + name + ": a new array instead of a recycled one");
                assertSameBits(kind + " " + name, fresh.get(name).floats(), again);
            }
        }
    }

    @Test
    void namesAndShapesFollowTheOfficialModules() {
        assertEquals(List.of("layer1.weight", "layer1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean",
                "bn1.running_var", "layer2.weight", "layer2.bias", "bn2.weight", "bn2.bias", "bn2.running_mean",
                "bn2.running_var", "layer3.weight", "layer3.bias"),
                List.copyOf(SslHead.shapes(SslHead.Kind.SIMCLR, CFG).keySet()));
        assertEquals(List.of("0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "3.weight"),
                List.copyOf(SslHead.shapes(SslHead.Kind.BYOL_PROJECTOR, CFG).keySet()));
        assertArrayEquals(new int[] {15, 7}, SslHead.shapes(SslHead.Kind.BYOL_PREDICTOR, CFG).get("0.weight"));
        assertArrayEquals(new int[] {15, 12}, SslHead.shapes(SslHead.Kind.BYOL_PROJECTOR, CFG).get("0.weight"));
        assertArrayEquals(new int[] {6, 17}, SslHead.shapes(SslHead.Kind.SIMCLR, CFG).get("layer3.weight"));
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        for (SslHead.Kind kind : SslHead.Kind.values()) {
            for (boolean training : new boolean[] {true, false}) {
                SimdSslHead head = new SimdSslHead(kind, CFG, Lanes.preferred());
                Map<String, Tensor> w = weights(kind, 1);
                Random r = new Random(2);
                float[] x = randn(r, B * CFG.inputWidth(kind), 1);
                float[] probe = randn(r, B * CFG.outputWidth(kind), 1);
                SslHead.Grads g = head.forward(w, x, B, training).backward(probe);
                String what = kind + (training ? " train " : " eval ");
                SimdSslHead.SimdPass[] last = new SimdSslHead.SimdPass[1];
                java.util.function.DoubleSupplier loss = () -> {
                    last[0] = head.forward(w, x, B, training);
                    return dot(last[0].out(), probe);
                };
                // the ReLUs make the loss piecewise smooth: entries whose ±h passes flip a unit are skipped
                java.util.function.Supplier<Object> pattern = () -> {
                    java.util.BitSet on = new java.util.BitSet();
                    int bit = 0;
                    for (int stage = 0; stage < (kind == SslHead.Kind.SIMCLR ? 2 : 1); stage++) {
                        for (float v : last[0].reluInput(stage)) {
                            on.set(bit++, v > 0);
                        }
                    }
                    return on;
                };
                GradCheck.check(what + "input", x, g.dInput(), null, loss, pattern, H, 3e-3, 2e-2);
                for (Map.Entry<String, Tensor> e : w.entrySet()) {
                    if (SslHead.isBuffer(e.getKey())) {
                        assertTrue(!g.weights().containsKey(e.getKey()), "no gradient for buffer " + e.getKey());
                        continue;
                    }
                    float[] param = e.getValue().floats();
                    GradCheck.check(what + e.getKey(), param, g.weights().get(e.getKey()).floats(),
                            GradCheck.sample(r, param.length, 6), loss, pattern, H, 3e-3, 2e-2);
                }
            }
        }
    }

    @Test
    void byolProjectorComputesLinearBatchNormReluLinear() {
        SslHead.Kind kind = SslHead.Kind.BYOL_PROJECTOR;
        Map<String, Tensor> w = weights(kind, 3);
        float[] x = randn(new Random(4), B * CFG.inDim(), 1);
        SslHead.Pass p = new SimdSslHead(kind, CFG).forward(w, x, B, true);
        int D = CFG.inDim(), H = CFG.byolHidden(), O = CFG.byolOut();
        float[] w0 = w.get("0.weight").floats(), g = w.get("1.weight").floats(), beta = w.get("1.bias").floats();
        float[] w3 = w.get("3.weight").floats(), rm = w.get("1.running_mean").floats(), rv = w.get("1.running_var").floats();
        double[][] h = new double[B][H];
        for (int b = 0; b < B; b++) {
            for (int j = 0; j < H; j++) {
                for (int i = 0; i < D; i++) {
                    h[b][j] += (double) x[b * D + i] * w0[j * D + i];
                }
            }
        }
        float[] expected = new float[B * O];
        float[] expRm = new float[H], expRv = new float[H];
        for (int j = 0; j < H; j++) {
            double m = 0, v = 0;
            for (int b = 0; b < B; b++) {
                m += h[b][j];
            }
            m /= B;
            for (int b = 0; b < B; b++) {
                v += (h[b][j] - m) * (h[b][j] - m);
            }
            expRm[j] = (float) (0.9 * rm[j] + 0.1 * m);
            expRv[j] = (float) (0.9 * rv[j] + 0.1 * v / (B - 1));
            for (int b = 0; b < B; b++) {
                h[b][j] = Math.max(0, (h[b][j] - m) / Math.sqrt(v / B + 1e-5) * g[j] + beta[j]);
            }
        }
        for (int b = 0; b < B; b++) {
            for (int o = 0; o < O; o++) {
                double s = 0;
                for (int j = 0; j < H; j++) {
                    s += h[b][j] * w3[o * H + j];
                }
                expected[b * O + o] = (float) s;
            }
        }
        assertClose("projector out", expected, p.out(), 1e-5, 1e-4);
        assertClose("running mean", expRm, p.runningStats().get("1.running_mean").floats(), 1e-6, 1e-5);
        assertClose("running var", expRv, p.runningStats().get("1.running_var").floats(), 1e-6, 1e-5);
        assertArrayEquals(rm, weights(kind, 3).get("1.running_mean").floats(), "the given buffers stay untouched");
        assertTrue(new SimdSslHead(kind, CFG).forward(w, x, B, false).runningStats().isEmpty());
    }

    /** docs/SPEC.md §13: every width gives the scalar specification's bits, forward, running stats and backward. */
    @Test
    void everyLaneWidthGivesTheScalarBits() {
        for (HeadsConfig cfg : TAIL_CONFIGS) {
            for (SslHead.Kind kind : SslHead.Kind.values()) {
                for (int b : new int[] {1, 2, 3, 5, 17}) {
                    for (boolean training : new boolean[] {true, false}) {
                        if (training && b < 2) {
                            continue; // BatchNorm statistics need two rows
                        }
                        Map<String, Tensor> w = weights(kind, cfg, 5);
                        Random r = new Random(6);
                        float[] x = randn(r, b * cfg.inputWidth(kind), 1);
                        float[] probe = randn(r, b * cfg.outputWidth(kind), 1);
                        SslHead.Pass ref = new SimdSslHead(kind, cfg, Lanes.SCALAR).forward(w, x, b, training);
                        SslHead.Grads gref = ref.backward(probe);
                        for (Lanes lanes : Lanes.testWidths()) {
                            String at = lanes + " " + kind + " " + cfg + " B=" + b + (training ? " train " : " eval ");
                            SslHead.Pass p = new SimdSslHead(kind, cfg, lanes).forward(w, x, b, training);
                            assertSameBits(at + "out", ref.out(), p.out());
                            for (String n : ref.runningStats().keySet()) {
                                assertSameBits(at + n, ref.runningStats().get(n).floats(),
                                        p.runningStats().get(n).floats());
                            }
                            SslHead.Grads g = p.backward(probe);
                            assertSameBits(at + "dInput", gref.dInput(), g.dInput());
                            assertEquals(gref.weights().keySet(), g.weights().keySet());
                            for (String n : g.weights().keySet()) {
                                assertSameBits(at + n, gref.weights().get(n).floats(), g.weights().get(n).floats());
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void badInputIsRefused() {
        SimdSslHead head = new SimdSslHead(SslHead.Kind.BYOL_PREDICTOR, CFG);
        Map<String, Tensor> w = weights(SslHead.Kind.BYOL_PREDICTOR, 7);
        assertThrows(IllegalArgumentException.class, () -> head.forward(w, new float[B * CFG.inDim()], B, true),
                "the predictor reads byolOut-wide rows");
        assertThrows(IllegalArgumentException.class, () -> head.forward(w, new float[CFG.byolOut()], 1, true),
                "BatchNorm training needs two rows");
        Map<String, Tensor> missing = new java.util.LinkedHashMap<>(w);
        missing.remove("1.running_var");
        assertThrows(IllegalArgumentException.class, () -> head.forward(missing, new float[B * CFG.byolOut()], B, false));
    }
}
