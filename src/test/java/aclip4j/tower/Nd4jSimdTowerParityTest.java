package aclip4j.tower;

import static aclip4j.tower.Nd4jVisionTowerTest.assertClose;
import static aclip4j.tower.Nd4jVisionTowerTest.d;
import static org.junit.jupiter.api.Assertions.assertEquals;

import aclip4j.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The ND4J towers against their SIMD twins: features, cls, §3 scores and every weight gradient. */
class Nd4jSimdTowerParityTest {
    @BeforeAll
    static void singleThreaded() {
        Nd4jTowerReference.singleThreaded();
    }

    @AfterAll
    static void restoreThreads() {
        Nd4jTowerReference.restoreThreads();
    }

    @Test
    void weightNamesAndShapesAgree() {
        VisionConfig v = new VisionConfig(32, 8, 16, 2, 2, 12, 4);
        TextConfig t = new TextConfig(20, 8, 16, 2, 2, 12);
        Map<String, int[]> nv = Weights.visionShapes(v), sv = Weights.visionShapes(v);
        Map<String, int[]> nt = Weights.textShapes(t), st = Weights.textShapes(t);
        assertEquals(sv.keySet(), nv.keySet());
        assertEquals(st.keySet(), nt.keySet());
        sv.forEach((k, s) -> assertEquals(java.util.Arrays.toString(s), java.util.Arrays.toString(nv.get(k)), k));
        st.forEach((k, s) -> assertEquals(java.util.Arrays.toString(s), java.util.Arrays.toString(nt.get(k)), k));
    }

    /** Depth 0 (both configs allow it) takes the features from the embedded CLS / EOT rows themselves. */
    @ParameterizedTest
    @ValueSource(ints = {2, 0})
    void visionTwinsAgree(int depth) {
        // S=32, p=8 (N=16, T=17), D=16, H=2, E=12; B=3; masked K=5 and unmasked, with scores where there are blocks.
        VisionConfig c = new VisionConfig(32, 8, 16, depth, 2, 12, 4);
        Map<String, int[]> shapes = Weights.visionShapes(c);
        Map<String, Tensor> w = Nd4jTowerReference.tensors(Nd4jTowerReference.randomWeights(shapes, 51, 0.3), shapes, false);
        int B = 3;
        float[] img = Nd4jTowerReference.toFloats(Nd4jVisionTowerTest.randomImages(52, B * 3 * 32 * 32));
        float[] dF = Nd4jTowerReference.toFloats(Nd4jVisionTowerTest.randomImages(53, B * 12));
        float[] dC = Nd4jTowerReference.toFloats(Nd4jVisionTowerTest.randomImages(54, B * 16));
        int[] keep = {0, 3, 7, 8, 15, 1, 2, 4, 9, 14, 5, 6, 10, 11, 12};
        for (int[] k : new int[][] {null, keep}) {
            int K = k == null ? 0 : 5;
            boolean scores = k == null && depth > 0;
            VisionTower.Pass nd = new Nd4jVisionTower(c).forward(w, img, B, k, K, scores, false);
            VisionTower.Pass simd = new SimdVisionTower(c).forward(w, img, B, k, K, scores, false);
            String what = k == null ? "unmasked" : "masked";
            assertClose(what + " features", d(simd.features()), d(nd.features()), 1e-5, 1e-4);
            assertClose(what + " cls", d(simd.cls()), d(nd.cls()), 1e-5, 1e-4);
            if (scores) {
                assertClose("CLS attention rows", d(simd.clsAttention()), d(nd.clsAttention()), 1e-6, 1e-4);
            }
            Map<String, Tensor> gs = simd.backward(dF, dC), gn = nd.backward(dF, dC);
            for (String n : shapes.keySet()) {
                assertClose(what + " grad " + n, d(gs.get(n).floats()), d(gn.get(n).floats()), 1e-4, 1e-3);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 0})
    void textTwinsAgree(int depth) {
        TextConfig c = new TextConfig(20, 8, 16, depth, 2, 12);
        Map<String, int[]> shapes = Weights.textShapes(c);
        Map<String, Tensor> w = Nd4jTowerReference.tensors(Nd4jTowerReference.randomWeights(shapes, 61, 0.3), shapes, false);
        int B = 3;
        int[] tokens = {18, 4, 4, 9, 19, 0, 0, 0, 18, 19, 0, 0, 0, 0, 0, 0, 18, 1, 2, 3, 5, 6, 7, 19};
        float[] dF = Nd4jTowerReference.toFloats(Nd4jVisionTowerTest.randomImages(62, B * 12));
        TextTower.Pass nd = new Nd4jTextTower(c).forward(w, tokens, B);
        TextTower.Pass simd = new SimdTextTower(c).forward(w, tokens, B);
        assertClose("text features", d(simd.features()), d(nd.features()), 1e-5, 1e-4);
        Map<String, Tensor> gs = simd.backward(dF), gn = nd.backward(dF);
        for (String n : shapes.keySet()) {
            assertClose("text grad " + n, d(gs.get(n).floats()), d(gn.get(n).floats()), 1e-4, 1e-3);
        }
    }
}
