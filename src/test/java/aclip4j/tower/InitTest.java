package aclip4j.tower;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.tensor.Tensor;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InitTest {

    static double std(float[] v) {
        double m = 0, s = 0;
        for (float x : v) {
            m += x;
        }
        m /= v.length;
        for (float x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / v.length);
    }

    static double maxAbs(float[] v) {
        double a = 0;
        for (float x : v) {
            a = Math.max(a, Math.abs(x));
        }
        return a;
    }

    @Test
    void visionFollowsTimmAndClip() {
        VisionConfig c = Presets.vision("tiny");
        Map<String, Tensor> w = Init.vision(c, new SplittableRandom(42));
        assertEquals(Weights.visionShapes(c).keySet(), w.keySet());
        float[] qkv = w.get("blocks.0.attn.qkv.weight").floats();
        // truncated at ±2 std: the std of N(0,1) cut at ±2 is 0.8796
        assertEquals(0.02 * 0.8796, std(qkv), 0.0015);
        assertTrue(maxAbs(qkv) <= 0.04 + 1e-7, "cut at 2 std");
        assertTrue(maxAbs(w.get("pos_embed").floats()) <= 0.04 + 1e-7);
        assertEquals(Math.pow(c.width(), -0.5), std(w.get("image_projection").floats()), 0.1 * Math.pow(c.width(), -0.5));
        double bound = 1 / Math.sqrt(3 * 8 * 8);
        assertTrue(maxAbs(w.get("patch_embed.proj.weight").floats()) <= bound);
        assertEquals(bound / Math.sqrt(3), std(w.get("patch_embed.proj.weight").floats()), 0.1 * bound);
        float[] ones = new float[c.width()];
        Arrays.fill(ones, 1f);
        assertArrayEquals(ones, w.get("blocks.1.norm2.weight").floats());
        assertArrayEquals(new float[c.width()], w.get("norm.bias").floats());
        assertArrayEquals(new float[3 * c.width()], w.get("blocks.0.attn.qkv.bias").floats());
    }

    @Test
    void textFollowsClipInitializeParameters() {
        TextConfig c = new TextConfig(500, 32, 64, 3, 4, 32);
        Map<String, Tensor> w = Init.text(c, new SplittableRandom(7));
        assertEquals(Weights.textShapes(c).keySet(), w.keySet());
        double W = c.width(), L = c.depth();
        assertEquals(0.02, std(w.get("token_embedding.weight").floats()), 0.001);
        assertEquals(0.01, std(w.get("positional_embedding").floats()), 0.001);
        assertEquals(Math.pow(W, -0.5), std(w.get("transformer.resblocks.2.attn.in_proj_weight").floats()), 0.005);
        double proj = Math.pow(W, -0.5) * Math.pow(2 * L, -0.5);
        assertEquals(proj, std(w.get("transformer.resblocks.0.attn.out_proj.weight").floats()), 0.05 * proj);
        assertEquals(proj, std(w.get("transformer.resblocks.1.mlp.c_proj.weight").floats()), 0.05 * proj);
        assertEquals(Math.pow(2 * W, -0.5), std(w.get("transformer.resblocks.0.mlp.c_fc.weight").floats()), 0.005);
        assertEquals(Math.pow(W, -0.5), std(w.get("text_projection").floats()), 0.1 * Math.pow(W, -0.5));
        assertArrayEquals(new float[c.width()], w.get("transformer.resblocks.0.attn.out_proj.bias").floats());
    }

    @Test
    void headsUseTorchLinearDefaultsAndFreshBatchNorm() {
        HeadsConfig c = Presets.heads("tiny", 64);
        Map<String, Tensor> w = Init.head(SslHead.Kind.SIMCLR, c, new SplittableRandom(3));
        double bound = 1 / Math.sqrt(256);
        assertTrue(maxAbs(w.get("layer2.weight").floats()) <= bound);
        assertEquals(bound / Math.sqrt(3), std(w.get("layer2.weight").floats()), 0.05 * bound);
        float[] ones = new float[256];
        Arrays.fill(ones, 1f);
        assertArrayEquals(ones, w.get("bn1.running_var").floats());
        assertArrayEquals(ones, w.get("bn2.weight").floats());
        assertArrayEquals(new float[256], w.get("bn1.running_mean").floats());
    }

    @Test
    void sameSeedSameBitsOtherSeedOtherBits() {
        VisionConfig c = Presets.vision("tiny");
        Map<String, Tensor> a = Init.vision(c, new SplittableRandom(5)), b = Init.vision(c, new SplittableRandom(5));
        Map<String, Tensor> other = Init.vision(c, new SplittableRandom(6));
        for (String n : a.keySet()) {
            assertArrayEquals(a.get(n).floats(), b.get(n).floats(), n);
        }
        assertFalse(Arrays.equals(a.get("pos_embed").floats(), other.get("pos_embed").floats()));
    }

    @Test
    void presetsHaveThePaperSizes() {
        VisionConfig s = Presets.vision("vit-s16"), b = Presets.vision("vit-b16"), t = Presets.vision("tiny");
        assertEquals(14, s.grid());
        assertEquals(384, s.width());
        assertEquals(12, s.heads(), "the official A-CLIP ViT-S/16 has 12 heads of 32");
        VisionConfig timm = Presets.vision("vit-s16-timm");
        assertEquals(6, timm.heads());
        assertEquals(s.width(), timm.width());
        assertEquals(s.depth(), timm.depth());
        assertEquals(768, b.width());
        assertEquals(12, b.heads());
        assertEquals(0, t.grid() % 2, "a 2x2-patch mask cell tiles the tiny grid");
        TextConfig clip = Presets.text("clip-base");
        assertEquals(new TextConfig(49408, 77, 512, 12, 8, 512), clip);
        assertEquals(HeadsConfig.paper(768), Presets.heads("paper", 768));
    }
}
