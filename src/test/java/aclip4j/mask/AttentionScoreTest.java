package aclip4j.mask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.mask.AttentionScore.Layers;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-computed SPEC §3 cases and refusals, on both twins. */
class AttentionScoreTest {
    private static final List<AttentionScore> BOTH = List.of(new SimdAttentionScore(), new Nd4jAttentionScore());

    /**
     * L=2, B=1, H=1, T=2, hs=1. Layer 0: q0 = 1, keys (0, ln 3): softmax(0, ln 3) = (1/4, 3/4), patch weight 3/4.
     * Layer 1: keys equal, patch weight 1/2. all = (3/4 + 1/2)/2 = 5/8, last = 1/2.
     */
    @Test
    void handComputedTwoLayers() {
        float ln3 = (float) Math.log(3);
        float[] q = {1f, 0f, 2f, 0f};        // (L=2,B=1,H=1,T=2,hs=1); only q[.,0] (CLS) matters
        float[] k = {0f, ln3, 0.7f, 0.7f};
        for (AttentionScore impl : BOTH) {
            assertEquals(0.625f, impl.fromQueryKey(q, k, 2, 1, 1, 2, 1, Layers.ALL)[0], 1e-6f);
            assertEquals(0.5f, impl.fromQueryKey(q, k, 2, 1, 1, 2, 1, Layers.LAST)[0], 1e-6f);
        }
    }

    /** hs=4 scales logits by 1/2: q0=(1,1,1,1), keys dot 0 and 2*ln2*... chosen so the patch weight is 2/3. */
    @Test
    void scaleIsOneOverSqrtHeadSize() {
        float a = (float) (Math.log(2) / 2); // each key component; dot with q0 = 4a = 2 ln 2, scaled by 1/2 -> ln 2
        float[] q = {1, 1, 1, 1, 0, 0, 0, 0};
        float[] k = {0, 0, 0, 0, a, a, a, a};
        for (AttentionScore impl : BOTH) {
            // softmax(0, ln 2) = (1/3, 2/3)
            assertEquals(2f / 3f, impl.fromQueryKey(q, k, 1, 1, 1, 2, 4, Layers.ALL)[0], 1e-6f);
        }
        assertEquals(0.5f, AttentionScore.scale(4));
        assertEquals((float) (1 / Math.sqrt(64)), AttentionScore.scale(64));
    }

    /** Logits of 1e4 would overflow exp without the max subtraction. */
    @Test
    void largeLogitsStayFinite() {
        float[] q = {100f, 0f, 0f};
        float[] k = {100f, 99f, 98f};       // (1,1,1,T=3,hs=1): logits 1e4, 9900, 9800
        for (AttentionScore impl : BOTH) {
            float[] s = impl.fromQueryKey(q, k, 1, 1, 1, 3, 1, Layers.ALL);
            assertTrue(Float.isFinite(s[0]) && Float.isFinite(s[1]));
            assertEquals(0f, s[0], 1e-30f);   // e^-100 relative to the CLS key
        }
    }

    @Test
    void clsAttentionDropsSelfWeightWithoutRenormalising() {
        // (L=1,B=2,H=2,T=3)
        float[] p = {0.5f, 0.25f, 0.25f, 0.1f, 0.6f, 0.3f, 0f, 1f, 0f, 0.2f, 0.2f, 0.6f};
        for (AttentionScore impl : BOTH) {
            float[] s = impl.fromClsAttention(p, 1, 2, 2, 3, Layers.ALL);
            assertArrayEquals(new float[] {0.425f, 0.275f, 0.6f, 0.3f}, s, 1e-7f);
        }
    }

    @Test
    void refusesBadShapes() {
        for (AttentionScore impl : BOTH) {
            assertThrows(IllegalArgumentException.class,
                    () -> impl.fromQueryKey(new float[2], new float[2], 1, 1, 1, 1, 2, Layers.ALL));  // T = 1
            assertThrows(IllegalArgumentException.class,
                    () -> impl.fromQueryKey(new float[8], new float[7], 1, 1, 1, 2, 4, Layers.ALL));  // k too short
            assertThrows(IllegalArgumentException.class,
                    () -> impl.fromClsAttention(new float[5], 1, 1, 2, 3, Layers.ALL));               // 5 != 6
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Layers.parse("first"));
        assertTrue(e.getMessage().contains("first"));
        assertEquals(Layers.LAST, Layers.parse(" Last "));
    }
}
