package aclip4j.tower;

import static aclip4j.tower.Nd4jVisionTowerTest.assertClose;
import static aclip4j.tower.Nd4jVisionTowerTest.d;
import static org.junit.jupiter.api.Assertions.assertEquals;
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

/** The SameDiff text tower (§2) against a float64 loop reference, causality, EOT pooling and autodiff. */
class Nd4jTextTowerTest {
    // vocab 20 (EOT = 19), context 7, W 8, depth 2, H 2, E 5.
    static final TextConfig CFG = new TextConfig(20, 7, 8, 2, 2, 5);
    // vocab 13, context 6, W 6, depth 1, H 3 (hs 2), E 4.
    static final TextConfig CFG3 = new TextConfig(13, 6, 6, 1, 3, 4);

    @BeforeAll
    static void singleThreaded() {
        Nd4jTowerReference.singleThreaded();
    }

    @AfterAll
    static void restoreThreads() {
        Nd4jTowerReference.restoreThreads();
    }

    /** Rows "SOT w w … EOT pad…": SOT = vocab-2, EOT = vocab-1 at a random position ≥ 1, pads 0 after it. */
    static int[] captions(TextConfig c, int B, long seed) {
        Random r = new Random(seed);
        int ctx = c.context();
        int[] t = new int[B * ctx];
        for (int b = 0; b < B; b++) {
            int eot = 1 + r.nextInt(ctx - 1);
            t[b * ctx] = c.vocab() - 2;
            for (int i = 1; i < eot; i++) {
                t[b * ctx + i] = 1 + r.nextInt(c.vocab() - 3);
            }
            t[b * ctx + eot] = c.vocab() - 1;
        }
        return t;
    }

    @Test
    void floatForwardMatchesReference() {
        for (TextConfig c : new TextConfig[] {CFG, CFG3}) {
            Map<String, int[]> shapes = Weights.textShapes(c);
            Map<String, double[]> w = Nd4jTowerReference.roundedToFloat(Nd4jTowerReference.randomWeights(shapes, 5, 0.4));
            Nd4jTextTower tower = new Nd4jTextTower(c);
            for (int B : new int[] {1, 3}) {
                int[] tokens = captions(c, B, 6 + B);
                TextTower.Pass pass = tower.forward(Nd4jTowerReference.tensors(w, shapes, false), tokens, B);
                assertClose("text features", Nd4jTowerReference.text(c, w, tokens, B).features(), d(pass.features()),
                        2e-5, 2e-4);
            }
        }
    }

    @Test
    void doubleGraphMatchesReferenceTightlyWithTiesAndRepeats() {
        Map<String, int[]> shapes = Weights.textShapes(CFG);
        Map<String, double[]> w = Nd4jTowerReference.randomWeights(shapes, 9, 0.5);
        int[] tokens = {
            18, 3, 3, 19, 0, 0, 0,
            18, 19, 5, 19, 0, 0, 0,   // EOT twice: pooling takes the first
            18, 7, 7, 7, 7, 7, 19,    // EOT last, repeated ids
            18, 2, 19, 0, 0, 0, 0};
        Nd4jTextTower.NdPass pass = new Nd4jTextTower(CFG, DataType.DOUBLE)
                .forwardNd(Nd4jTowerReference.tensors(w, shapes, true), tokens, 4);
        assertClose("text features f64", Nd4jTowerReference.text(CFG, w, tokens, 4).features(),
                d(pass.featuresNd()), 1e-12, 1e-10);
    }

    @Test
    void causalAndPooledAtFirstLargestId() {
        Map<String, int[]> shapes = Weights.textShapes(CFG);
        Map<String, Tensor> wt = Nd4jTowerReference.tensors(Nd4jTowerReference.randomWeights(shapes, 13, 0.5), shapes, false);
        Nd4jTextTower tower = new Nd4jTextTower(CFG);
        int[] base = {18, 4, 19, 0, 0, 0, 0};
        float[] f0 = tower.forward(wt, base, 1).features();
        // Tokens after the pooled position cannot reach it through a causal mask.
        float[] f1 = tower.forward(wt, new int[] {18, 4, 19, 7, 11, 19, 3}, 1).features();
        assertClose("after EOT", d(f0), d(f1), 0, 0);
        // A token before it does.
        float[] f2 = tower.forward(wt, new int[] {18, 5, 19, 0, 0, 0, 0}, 1).features();
        assertTrue(Math.abs(f2[0] - f0[0]) > 1e-4, "a token before EOT changes the feature");
        // Pooling follows the largest id, wherever it is.
        float[] f3 = tower.forward(wt, new int[] {18, 4, 17, 0, 0, 0, 0}, 1).features();
        float[] f4 = tower.forward(wt, new int[] {18, 4, 17, 0, 0, 6, 0}, 1).features();
        assertClose("pool at the largest id (17 at 2)", d(f3), d(f4), 0, 0);
        float[] f5 = tower.forward(wt, new int[] {18, 4, 17, 0, 0, 19, 0}, 1).features();
        assertTrue(Math.abs(f5[0] - f3[0]) > 1e-4, "a later, larger id moves the pooled position");
    }

    static double loss(Nd4jTextTower tower, Map<String, Tensor> w, int[] tokens, int B, INDArray dF) {
        return tower.forwardNd(w, tokens, B).featuresNd().mul(dF).sumNumber().doubleValue();
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        TextConfig c = CFG3;
        Map<String, int[]> shapes = Weights.textShapes(c);
        Map<String, double[]> w = Nd4jTowerReference.randomWeights(shapes, 17, 0.5);
        Map<String, Tensor> wt = Nd4jTowerReference.tensors(w, shapes, true);
        int B = 2;
        int[] tokens = {11, 3, 3, 12, 0, 0, 11, 5, 3, 3, 12, 0}; // repeated ids within and across rows
        Nd4jTextTower tower = new Nd4jTextTower(c, DataType.DOUBLE);
        INDArray dF = Nd4j.randn(DataType.DOUBLE, B, c.embed());
        Map<String, INDArray> g = tower.forwardNd(wt, tokens, B).backwardNd(dF);
        Random r = new Random(18);
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
            double lp = loss(tower, wt, tokens, B, dF);
            for (int i = 0; i < a.length; i++) {
                a[i] = orig[i] - h * u[i];
            }
            double lm = loss(tower, wt, tokens, B, dF);
            System.arraycopy(orig, 0, a, 0, a.length);
            double fd = (lp - lm) / (2 * h);
            assertEquals(fd, gu, 1e-7 + 1e-6 * Math.abs(fd), name + ": autodiff g.u vs finite difference");
        }
        // Ids not used, or used only after EOT (pad 0), get no gradient; nor does position 5, after both EOTs.
        double[] ge = d(g.get("token_embedding.weight"));
        for (int id : new int[] {0, 1, 2, 4, 6, 7, 8, 9, 10}) {
            for (int k = 0; k < c.width(); k++) {
                assertEquals(0.0, ge[id * c.width() + k], "token_embedding row " + id + " is unused");
            }
        }
        double[] gp = d(g.get("positional_embedding"));
        for (int k = 0; k < c.width(); k++) {
            assertEquals(0.0, gp[5 * c.width() + k], "position 5 comes after both rows' EOT");
            assertTrue(ge[3 * c.width() + k] != 0.0, "token 3 is used before EOT");
        }
    }

    /**
     * A pass runs the positions up to the batch's last EOT only: here 4 of the 7, where running every position gives
     * the same features and gradients (float64, to rounding: the products change shape) and the positional rows
     * past the last EOT get exactly zero either way. A caption ending at the last position runs all 7.
     */
    @Test
    void aPassRunsOnlyThePositionsUpToTheLastEot() {
        Map<String, int[]> shapes = Weights.textShapes(CFG);
        Map<String, Tensor> wt = Nd4jTowerReference.tensors(Nd4jTowerReference.randomWeights(shapes, 31, 0.5), shapes,
                true);
        int B = 3;
        int[] tokens = {
            18, 3, 19, 0, 0, 0, 0,
            18, 5, 6, 19, 0, 0, 0,    // the longest caption: EOT at 3
            18, 19, 4, 0, 0, 0, 0};
        Nd4j.getRandom().setSeed(32);
        INDArray dF = Nd4j.randn(DataType.DOUBLE, B, CFG.embed());
        Nd4jTextTower cut = new Nd4jTextTower(CFG, DataType.DOUBLE), full = cut.withEveryPosition();
        assertEquals(4, Nd4jTextTower.positionsRun(tokens, B, 7, 1));
        assertEquals(6, Nd4jTextTower.positionsRun(tokens, B, 7, 3), "rounded up to a multiple of 3");
        assertEquals(7, Nd4jTextTower.positionsRun(tokens, B, 7, 8), "at most the context");
        Nd4jTextTower.NdPass a = cut.forwardNd(wt, tokens, B), b = full.forwardNd(wt, tokens, B);
        assertEquals(4, a.positions());
        assertEquals(7, b.positions());
        assertClose("features, 4 positions against 7", d(b.featuresNd()), d(a.featuresNd()), 1e-13, 1e-12);
        Map<String, INDArray> ga = a.backwardNd(dF), gb = b.backwardNd(dF);
        assertEquals(shapes.keySet(), ga.keySet());
        for (String name : shapes.keySet()) {
            assertTrue(Arrays.equals(gb.get(name).shape(), ga.get(name).shape()), name);
            assertClose("gradient " + name, d(gb.get(name)), d(ga.get(name)), 1e-13, 1e-11);
        }
        double[] gp = d(ga.get(Weights.POSITIONAL_EMBEDDING));
        for (int i = 4 * CFG.width(); i < gp.length; i++) {
            assertEquals(0.0, gp[i], "positional row " + i / CFG.width() + " is after every EOT");
        }
        int[] longest = {18, 3, 3, 3, 3, 3, 19};
        assertEquals(7, cut.forwardNd(wt, longest, 1).positions());
    }

    @Test
    void floatBackwardAgreesWithDouble() {
        Map<String, int[]> shapes = Weights.textShapes(CFG3);
        Map<String, double[]> w = Nd4jTowerReference.roundedToFloat(Nd4jTowerReference.randomWeights(shapes, 23, 0.5));
        int[] tokens = {11, 4, 12, 0, 0, 0};
        float[] dF = {0.5f, -1f, 0.25f, 2f};
        Map<String, Tensor> g32 = new Nd4jTextTower(CFG3).forward(Nd4jTowerReference.tensors(w, shapes, false), tokens, 1)
                .backward(dF);
        Map<String, Tensor> g64 = new Nd4jTextTower(CFG3, DataType.DOUBLE)
                .forward(Nd4jTowerReference.tensors(w, shapes, true), tokens, 1).backward(dF);
        assertEquals(shapes.keySet(), g32.keySet());
        for (String name : shapes.keySet()) {
            assertTrue(Arrays.equals(shapes.get(name), g32.get(name).shape()), name);
            assertClose("float grad " + name, g64.get(name).doubles(), d(g32.get(name).floats()), 1e-4, 1e-3);
        }
    }

    @Test
    void badInputsAreRefused() {
        Map<String, int[]> shapes = Weights.textShapes(CFG);
        Map<String, Tensor> wt = Nd4jTowerReference.tensors(Nd4jTowerReference.randomWeights(shapes, 1, 0.1), shapes, false);
        Nd4jTextTower tower = new Nd4jTextTower(CFG);
        assertThrows(IllegalArgumentException.class, () -> tower.forward(wt, new int[6], 1));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> tower.forward(wt, new int[] {18, 20, 0, 0, 0, 0, 0}, 1));
        assertTrue(ex.getMessage().contains("20"), ex.getMessage());
        Map<String, Tensor> bad = new HashMap<>(wt);
        bad.put("text_projection", Tensor.f32(new float[5 * 8], 5, 8));
        ex = assertThrows(IllegalArgumentException.class, () -> tower.forward(bad, new int[7], 1));
        assertTrue(ex.getMessage().contains("text_projection"), ex.getMessage());
    }
}
