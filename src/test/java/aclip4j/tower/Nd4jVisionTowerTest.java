package aclip4j.tower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.tensor.Tensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The SameDiff ViT (§1) and §3 score against a float64 loop reference, and its autodiff against finite differences. */
class Nd4jVisionTowerTest {
    // S=16, p=8: G=2, N=4, T=5; D=8, H=2 (hs=4), E=6; depth 2.
    static final VisionConfig CFG = new VisionConfig(16, 8, 8, 2, 2, 6, 4);
    // A 3x3 grid (N=9, prime-ish token counts), depth 1, H=3 heads of size 2.
    static final VisionConfig CFG3 = new VisionConfig(24, 8, 6, 1, 3, 5, 4);

    @BeforeAll
    static void singleThreaded() {
        Nd4jTowerReference.singleThreaded();
    }

    @AfterAll
    static void restoreThreads() {
        Nd4jTowerReference.restoreThreads();
    }

    static double[] randomImages(long seed, int n) {
        Random r = new Random(seed);
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian(); // float-representable, so the float and double graphs see equal pixels
        }
        return a;
    }

    static void assertClose(String what, double[] ref, double[] got, double atol, double rtol) {
        assertEquals(ref.length, got.length, what + " length");
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < ref.length; i++) {
            assertTrue(!Double.isNaN(got[i]), what + "[" + i + "] is NaN");
            double excess = Math.abs(got[i] - ref[i]) - (atol + rtol * Math.abs(ref[i]));
            if (excess > worst || worstAt < 0 && excess > 0) {
                worst = excess;
                worstAt = i;
            }
        }
        if (worstAt >= 0) {
            StringBuilder sb = new StringBuilder(what + " differs; worst at " + worstAt + ": ref " + ref[worstAt]
                    + " got " + got[worstAt] + "; first pairs:");
            for (int i = 0; i < Math.min(5, ref.length); i++) {
                sb.append(" (").append(ref[i]).append(", ").append(got[i]).append(")");
            }
            throw new AssertionError(sb.toString());
        }
    }

    static double[] d(float[] a) {
        return Nd4jTowerReference.toDoubles(a);
    }

    static double[] d(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    @Test
    void floatForwardMatchesReferenceWithScores() {
        for (VisionConfig c : new VisionConfig[] {CFG, CFG3}) {
            Map<String, int[]> shapes = Weights.visionShapes(c);
            Map<String, double[]> w = Nd4jTowerReference.roundedToFloat(Nd4jTowerReference.randomWeights(shapes, 1, 0.4));
            for (int B : new int[] {1, 3}) {
                double[] img = randomImages(2 + B, B * 3 * c.imageSize() * c.imageSize());
                Nd4jVisionTower tower = new Nd4jVisionTower(c);
                for (boolean last : new boolean[] {false, true}) {
                    VisionTower.Pass pass = tower.forward(Nd4jTowerReference.tensors(w, shapes, false),
                            Nd4jTowerReference.toFloats(img), B, null, 0, true, last);
                    Nd4jTowerReference.Out ref = Nd4jTowerReference.vision(c, w, img, B, null, 0, last);
                    assertClose("features", ref.features(), d(pass.features()), 2e-5, 2e-4);
                    assertClose("cls", ref.cls(), d(pass.cls()), 2e-5, 2e-4);
                    float[] scores = new aclip4j.mask.Nd4jAttentionScore().fromTowerRows(pass.clsAttention(), B,
                            c.heads(), c.tokens() + 1);
                    assertClose("scores", ref.scores(), d(scores), 1e-6, 1e-4);
                }
            }
        }
    }

    @Test
    void doubleGraphMatchesReferenceTightly() {
        Map<String, int[]> shapes = Weights.visionShapes(CFG);
        Map<String, double[]> w = Nd4jTowerReference.randomWeights(shapes, 7, 0.5);
        int B = 2;
        double[] img = randomImages(8, B * 3 * 16 * 16);
        Nd4jVisionTower tower = new Nd4jVisionTower(CFG, DataType.DOUBLE);
        Nd4jVisionTower.NdPass pass = tower.forwardNd(Nd4jTowerReference.tensors(w, shapes, true),
                Nd4jTowerReference.toFloats(img), B, null, 0, true, false);
        Nd4jTowerReference.Out ref = Nd4jTowerReference.vision(CFG, w, img, B, null, 0, false);
        assertClose("features", ref.features(), d(pass.featuresNd()), 1e-12, 1e-10);
        assertClose("cls", ref.cls(), d(pass.clsNd()), 1e-12, 1e-10);
        // the §3 mean of the double CLS rows: keys 1..T-1, summed over layers and heads, over L*H
        int T = CFG.tokens() + 1;
        org.nd4j.linalg.api.ndarray.INDArray rows = pass.clsAttentionNd();
        org.nd4j.linalg.api.ndarray.INDArray mean = rows.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(1, T)).sum(0, 2).div(CFG.depth() * CFG.heads());
        assertClose("scores", ref.scores(), d(mean), 1e-13, 1e-10);
    }

    @Test
    void maskedForwardMatchesReferenceAndIgnoresDroppedPixels() {
        VisionConfig c = CFG3; // N = 9
        Map<String, int[]> shapes = Weights.visionShapes(c);
        Map<String, double[]> w = Nd4jTowerReference.roundedToFloat(Nd4jTowerReference.randomWeights(shapes, 3, 0.4));
        int B = 2, K = 4, S = c.imageSize(), p = c.patch(), G = c.grid();
        int[] keep = {0, 2, 5, 8, 1, 3, 4, 7};
        double[] img = randomImages(4, B * 3 * S * S);
        Nd4jVisionTower tower = new Nd4jVisionTower(c);
        Map<String, Tensor> wt = Nd4jTowerReference.tensors(w, shapes, false);
        VisionTower.Pass pass = tower.forward(wt, Nd4jTowerReference.toFloats(img), B, keep, K, false, false);
        assertNull(pass.clsAttention());
        Nd4jTowerReference.Out ref = Nd4jTowerReference.vision(c, w, img, B, keep, K, false);
        assertClose("masked features", ref.features(), d(pass.features()), 2e-5, 2e-4);
        assertClose("masked cls", ref.cls(), d(pass.cls()), 2e-5, 2e-4);

        // Pixels of dropped patches must not matter; pixels of kept ones must.
        double[] img2 = img.clone();
        for (int b = 0; b < B; b++) {
            for (int i = 0; i < c.tokens(); i++) {
                boolean kept = false;
                for (int k = 0; k < K; k++) {
                    kept |= keep[b * K + k] == i;
                }
                if (!kept) {
                    for (int ch = 0; ch < 3; ch++) {
                        img2[((b * 3 + ch) * S + (i / G) * p) * S + (i % G) * p + 1] += 5.0;
                    }
                }
            }
        }
        VisionTower.Pass pass2 = tower.forward(wt, Nd4jTowerReference.toFloats(img2), B, keep, K, false, false);
        assertClose("dropped pixels", d(pass.features()), d(pass2.features()), 0, 0);
        img2[0] += 5.0; // patch 0 of image 0 is kept
        VisionTower.Pass pass3 = tower.forward(wt, Nd4jTowerReference.toFloats(img2), B, keep, K, false, false);
        assertTrue(Math.abs(pass3.features()[0] - pass.features()[0]) > 1e-4, "a kept pixel changes the feature");

        // Keeping every token equals the unmasked forward.
        int N = c.tokens();
        int[] all = new int[B * N];
        for (int i = 0; i < all.length; i++) {
            all[i] = i % N;
        }
        VisionTower.Pass full = tower.forward(wt, Nd4jTowerReference.toFloats(img), B, null, 0, false, false);
        VisionTower.Pass keepAll = tower.forward(wt, Nd4jTowerReference.toFloats(img), B, all, N, false, false);
        assertClose("keep all", d(full.features()), d(keepAll.features()), 1e-6, 1e-5);
    }

    @Test
    void maskedForwardEqualsSmallerModelWithGatheredPositions() {
        // A masked pass keeping K = 4 of N = 9 patches equals the unmasked pass of a 2x2-patch model whose image
        // holds the kept patches (in kept order) and whose pos_embed holds the kept tokens' positions.
        VisionConfig big = CFG3; // G = 3, N = 9
        VisionConfig small = new VisionConfig(16, 8, 6, 1, 3, 5, 4); // G = 2, N = 4
        Map<String, int[]> shapes = Weights.visionShapes(big);
        Map<String, double[]> w = Nd4jTowerReference.roundedToFloat(Nd4jTowerReference.randomWeights(shapes, 11, 0.4));
        int[] keep = {1, 3, 4, 8};
        int S = 24, p = 8, G = 3, Ss = 16, Gs = 2;
        double[] img = randomImages(12, 3 * S * S);
        double[] strip = new double[3 * Ss * Ss];
        double[] pos = w.get("pos_embed");
        double[] posSmall = new double[5 * 6];
        System.arraycopy(pos, 0, posSmall, 0, 6);
        for (int k = 0; k < 4; k++) {
            int i = keep[k];
            System.arraycopy(pos, (1 + i) * 6, posSmall, (1 + k) * 6, 6);
            for (int ch = 0; ch < 3; ch++) {
                for (int py = 0; py < p; py++) {
                    for (int px = 0; px < p; px++) {
                        strip[(ch * Ss + (k / Gs) * p + py) * Ss + (k % Gs) * p + px] =
                                img[(ch * S + (i / G) * p + py) * S + (i % G) * p + px];
                    }
                }
            }
        }
        Map<String, double[]> ws = new HashMap<>(w);
        ws.put("pos_embed", posSmall);
        Map<String, int[]> shapesSmall = Weights.visionShapes(small);
        VisionTower.Pass masked = new Nd4jVisionTower(big).forward(Nd4jTowerReference.tensors(w, shapes, false),
                Nd4jTowerReference.toFloats(img), 1, keep, 4, false, false);
        VisionTower.Pass smallPass = new Nd4jVisionTower(small).forward(
                Nd4jTowerReference.tensors(ws, shapesSmall, false), Nd4jTowerReference.toFloats(strip), 1, null, 0,
                false, false);
        assertClose("masked vs gathered model", d(smallPass.features()), d(masked.features()), 1e-6, 1e-5);
        assertClose("masked vs gathered model cls", d(smallPass.cls()), d(masked.cls()), 1e-6, 1e-5);
    }

    /** loss(w) = sum(features * dF) + sum(cls * dC) of the double graph. */
    static double loss(Nd4jVisionTower tower, Map<String, Tensor> w, float[] img, int B, int[] keep, int K,
                       INDArray dF, INDArray dC) {
        Nd4jVisionTower.NdPass p = tower.forwardNd(w, img, B, keep, K, false, false);
        return p.featuresNd().mul(dF).sumNumber().doubleValue() + p.clsNd().mul(dC).sumNumber().doubleValue();
    }

    static void checkGradients(VisionConfig c, int B, int[] keep, int K, long seed) {
        Map<String, int[]> shapes = Weights.visionShapes(c);
        Map<String, double[]> w = Nd4jTowerReference.randomWeights(shapes, seed, 0.5);
        float[] img = Nd4jTowerReference.toFloats(randomImages(seed + 1, B * 3 * c.imageSize() * c.imageSize()));
        Nd4jVisionTower tower = new Nd4jVisionTower(c, DataType.DOUBLE);
        Map<String, Tensor> wt = Nd4jTowerReference.tensors(w, shapes, true);
        Random r = new Random(seed + 2);
        INDArray dF = Nd4j.randn(DataType.DOUBLE, B, c.embed());
        INDArray dC = Nd4j.rand(DataType.DOUBLE, B, c.width()).subi(0.5);
        Map<String, INDArray> g = tower.forwardNd(wt, img, B, keep, K, false, false).backwardNd(dF, dC);
        // One directional derivative per weight tensor (a random direction u within it): a wrong gradient
        // element would change g.u almost surely, and it costs two forwards per tensor, not two per element.
        double h = 1e-5;
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            String name = e.getKey();
            double[] a = wt.get(name).doubles();
            INDArray gw = g.get(name);
            assertTrue(gw != null, "no gradient for " + name);
            assertTrue(Arrays.equals(gw.shape(), Arrays.stream(e.getValue()).asLongStream().toArray()),
                    name + " gradient shape " + Arrays.toString(gw.shape()));
            double[] ga = d(gw);
            double[] orig = a.clone();
            double[] u = new double[a.length];
            double gu = 0;
            for (int i = 0; i < a.length; i++) {
                u[i] = r.nextGaussian();
                gu += ga[i] * u[i];
            }
            for (int i = 0; i < a.length; i++) {
                a[i] = orig[i] + h * u[i];
            }
            double lp = loss(tower, wt, img, B, keep, K, dF, dC);
            for (int i = 0; i < a.length; i++) {
                a[i] = orig[i] - h * u[i];
            }
            double lm = loss(tower, wt, img, B, keep, K, dF, dC);
            System.arraycopy(orig, 0, a, 0, a.length);
            double fd = (lp - lm) / (2 * h);
            assertEquals(fd, gu, 1e-7 + 1e-6 * Math.abs(fd), name + ": autodiff g.u vs finite difference");
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesUnmasked() {
        checkGradients(new VisionConfig(16, 8, 8, 1, 2, 6, 4), 2, null, 0, 21);
    }

    @Test
    void gradientsMatchFiniteDifferencesMasked() {
        checkGradients(CFG3, 2, new int[] {0, 4, 6, 2, 3, 8}, 3, 31);
    }

    @Test
    void droppedPositionsGetZeroGradientAndFloatBackwardAgrees() {
        VisionConfig c = CFG3;
        Map<String, int[]> shapes = Weights.visionShapes(c);
        Map<String, double[]> w = Nd4jTowerReference.roundedToFloat(Nd4jTowerReference.randomWeights(shapes, 41, 0.5));
        int B = 1, K = 2;
        int[] keep = {3, 7};
        float[] img = Nd4jTowerReference.toFloats(randomImages(42, 3 * 24 * 24));
        float[] dF = {0.3f, -1f, 0.5f, 2f, -0.7f};
        float[] dC = {1f, 0f, -0.5f, 0.25f, 0f, 0.1f};
        Map<String, Tensor> g32 = new Nd4jVisionTower(c).forward(Nd4jTowerReference.tensors(w, shapes, false), img, B,
                keep, K, false, false).backward(dF, dC);
        Map<String, Tensor> g64 = new Nd4jVisionTower(c, DataType.DOUBLE).forward(
                Nd4jTowerReference.tensors(w, shapes, true), img, B, keep, K, false, false).backward(dF, dC);
        for (String name : shapes.keySet()) {
            assertEquals(Tensor.class, g32.get(name).getClass());
            assertTrue(Arrays.equals(shapes.get(name), g32.get(name).shape()), name);
            assertClose("float grad " + name, g64.get(name).doubles(), d(g32.get(name).floats()), 1e-4, 1e-3);
        }
        double[] gp = g64.get("pos_embed").doubles();
        for (int t = 0; t < 10; t++) {
            boolean used = t == 0 || t == 4 || t == 8;
            for (int dd = 0; dd < 6; dd++) {
                if (!used) {
                    assertEquals(0.0, gp[t * 6 + dd], "pos_embed row " + t + " of a dropped token");
                }
            }
        }
        assertTrue(Math.abs(gp[4 * 6]) > 0, "pos_embed row of a kept token has gradient");
    }

    @Test
    void backwardOfAnOlderPassUsesItsOwnWeightsAndInputs() {
        // Passes share one cached graph; a later forward must not change an earlier pass's gradients.
        Map<String, int[]> shapes = Weights.visionShapes(CFG);
        Map<String, Tensor> w1 = Nd4jTowerReference.tensors(Nd4jTowerReference.randomWeights(shapes, 61, 0.5), shapes, true);
        Map<String, Tensor> w2 = Nd4jTowerReference.tensors(Nd4jTowerReference.randomWeights(shapes, 62, 0.5), shapes, true);
        float[] img1 = Nd4jTowerReference.toFloats(randomImages(63, 2 * 3 * 16 * 16));
        float[] img2 = Nd4jTowerReference.toFloats(randomImages(64, 2 * 3 * 16 * 16));
        float[] dF = Nd4jTowerReference.toFloats(randomImages(65, 2 * 6));
        Nd4jVisionTower tower = new Nd4jVisionTower(CFG, DataType.DOUBLE);
        VisionTower.Pass first = tower.forward(w1, img1, 2, null, 0, false, false);
        Map<String, Tensor> expected = first.backward(dF, null);
        VisionTower.Pass older = tower.forward(w1, img1, 2, null, 0, false, false);
        tower.forward(w2, img2, 2, null, 0, false, false).backward(dF, null);
        Map<String, Tensor> got = older.backward(dF, null);
        for (String n : shapes.keySet()) {
            assertClose("older pass grad " + n, expected.get(n).doubles(), got.get(n).doubles(), 0, 0);
        }
    }

    @Test
    void badInputsAreRefused() {
        Map<String, int[]> shapes = Weights.visionShapes(CFG);
        Map<String, Tensor> wt = Nd4jTowerReference.tensors(Nd4jTowerReference.randomWeights(shapes, 1, 0.1), shapes, false);
        Nd4jVisionTower tower = new Nd4jVisionTower(CFG);
        float[] img = new float[3 * 16 * 16];
        assertThrows(IllegalArgumentException.class, () -> tower.forward(wt, new float[5], 1, null, 0, false, false));
        assertThrows(IllegalArgumentException.class, () -> tower.forward(wt, img, 1, new int[] {2, 1}, 2, false, false));
        assertThrows(IllegalArgumentException.class, () -> tower.forward(wt, img, 1, new int[] {0, 4}, 2, false, false));
        assertThrows(IllegalArgumentException.class, () -> tower.forward(wt, img, 1, new int[] {0, 1}, 2, true, false));
        Map<String, Tensor> bad = new HashMap<>(wt);
        bad.put("image_projection", Tensor.f32(new float[6 * 8], 6, 8));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> tower.forward(bad, img, 1, null, 0, false, false));
        assertTrue(ex.getMessage().contains("image_projection"), ex.getMessage());
        bad.remove("norm.bias");
        assertThrows(IllegalArgumentException.class, () -> tower.forward(bad, img, 1, null, 0, false, false));
    }
}
