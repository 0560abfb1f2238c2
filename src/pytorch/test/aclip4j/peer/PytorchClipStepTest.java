package aclip4j.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.tensor.Tensor;
import aclip4j.tower.Init;
import aclip4j.tower.Presets;
import aclip4j.tower.SimdVisionTower;
import aclip4j.tower.TextConfig;
import aclip4j.tower.VisionConfig;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The PyTorch peer computes the model the SIMD towers compute: on the same weights and pixels its vision features
 * and the gradients of sum(features * probe) match {@link SimdVisionTower}'s to float32 round-off, and its step
 * moves every weight and keeps it finite. Runs only in the build with the pytorch profile.
 */
class PytorchClipStepTest {
    private static final VisionConfig V = Presets.vision("tiny");
    private static final TextConfig T = Presets.text("tiny", 1000);
    private static final int B = 3;

    @Test
    void visionForwardAndBackwardMatchSimd() {
        SplittableRandom rng = new SplittableRandom(11);
        Map<String, Tensor> vw = Init.vision(V, rng);
        Map<String, Tensor> tw = Init.text(T, rng);
        int S = V.imageSize();
        float[] px = new float[B * 3 * S * S];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        float[] probe = new float[B * V.embed()];
        for (int i = 0; i < probe.length; i++) {
            probe[i] = (float) rng.nextGaussian();
        }
        var pass = new SimdVisionTower(V).forward(vw, px, B, null, 0, false, false);
        float[] simdFeatures = pass.features();
        Map<String, Tensor> simdGrads = pass.backward(probe, null);
        Map<String, float[]> torch;
        try (PytorchClipStep peer = new PytorchClipStep(V, T, vw, tw, B, 2)) {
            torch = peer.visionForwardBackward(px, probe);
        }
        assertClose("features", simdFeatures, torch.get("features"));
        int compared = 0;
        for (var e : simdGrads.entrySet()) {
            float[] g = torch.get(e.getKey());
            if (g != null) {
                assertClose("d " + e.getKey(), e.getValue().floats(), g);
                compared++;
            }
        }
        assertEquals(vw.size(), compared, "every vision weight's gradient compared");
    }

    @Test
    void stepMovesEveryWeightAndKeepsItFinite() {
        SplittableRandom rng = new SplittableRandom(12);
        Map<String, Tensor> vw = Init.vision(V, rng);
        Map<String, Tensor> tw = Init.text(T, rng);
        try (PytorchClipStep peer = new PytorchClipStep(V, T, vw, tw, 4, 2)) {
            Map<String, float[]> before = peer.weights();
            peer.step();
            peer.step();
            Map<String, float[]> after = peer.weights();
            assertEquals(vw.size() + tw.size() + 1, after.size());
            for (var e : after.entrySet()) {
                float[] a = e.getValue(), b = before.get(e.getKey());
                double diff = 0;
                for (int i = 0; i < a.length; i++) {
                    assertTrue(Float.isFinite(a[i]), e.getKey() + "[" + i + "] = " + a[i]);
                    diff += Math.abs(a[i] - b[i]);
                }
                assertNotEquals(0.0, diff, e.getKey() + " did not move");
            }
        }
    }

    @Test
    void theTextTowerRunsTheGivenPositionsAndRefusesOthers() {
        SplittableRandom rng = new SplittableRandom(13);
        Map<String, Tensor> vw = Init.vision(V, rng);
        Map<String, Tensor> tw = Init.text(T, rng);
        try (PytorchClipStep peer = new PytorchClipStep(V, T, vw, tw, 4, 2, 3)) {
            assertTrue(peer.describe().endsWith("text tower over 3 of " + T.context() + " positions"), peer.describe());
            float[] before = peer.weights().get("token_embedding.weight");
            peer.step();
            float[] after = peer.weights().get("token_embedding.weight");
            double diff = 0;
            for (int i = 0; i < after.length; i++) {
                assertTrue(Float.isFinite(after[i]));
                diff += Math.abs(after[i] - before[i]);
            }
            assertNotEquals(0.0, diff, "the token embedding moved");
        }
        for (int bad : new int[] {0, T.context() + 1}) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> new PytorchClipStep(V, T, vw, tw, 4, 2, bad));
            assertTrue(e.getMessage().contains("text positions " + bad), e.getMessage());
        }
    }

    /** max |a - b| within 1e-4 of the larger magnitude (plus 1e-5 absolute). */
    private static void assertClose(String what, float[] a, float[] b) {
        assertEquals(a.length, b.length, what + " length");
        double scale = 0, worst = 0;
        for (int i = 0; i < a.length; i++) {
            scale = Math.max(scale, Math.max(Math.abs(a[i]), Math.abs(b[i])));
        }
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        assertTrue(worst <= 1e-4 * scale + 1e-5, what + ": max |simd - torch| = " + worst + " at scale " + scale);
    }
}
