package aclip4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link KernelTimes} counts a family's calls only while on, and the matmuls' FLOPs exactly. */
class KernelTimesTest {
    @Test
    void familiesAndMatmulFlopsAreCountedOnlyWhileOn() {
        int BT = 7, C = 5, OC = 3, T = 4, H = 1;
        float[] inp = new float[BT * C], w = new float[OC * C], out = new float[BT * OC];
        float[] dinp = new float[BT * C], dw = new float[OC * C], dout = new float[BT * OC];
        float[] qkv = new float[T * 3 * C], att = new float[H * T * T], o = new float[T * C];
        float[] ln = new float[BT * C], mean = new float[BT], rstd = new float[BT], g = new float[C], b = new float[C];
        Lanes lanes = Lanes.preferred();
        try {
            KernelTimes.enable(true);
            Matmul.matmulForward(lanes, out, inp, w, null, BT, C, OC);
            Matmul.matmulBackward(lanes, dinp, dw, null, dout, inp, w, BT, C, OC);
            Matmul.matmulBackward(lanes, null, dw, null, dout, inp, w, BT, C, OC);
            assertEquals(2.0 * BT * C * OC * (1 + 2 + 1), KernelTimes.matmulFlops());
            assertTrue(KernelTimes.seconds(KernelTimes.Family.MATMUL) > 0);
            assertEquals(0.0, KernelTimes.seconds(KernelTimes.Family.ATTENTION));
            Attention.attentionForward(lanes, o, att, qkv, 1, T, C, H, false);
            LayerNorm.layernormForward(lanes, ln, mean, rstd, inp, g, b, BT, C, 1e-5f);
            Gelu.geluForward(lanes, ln, inp, BT * C);
            assertTrue(KernelTimes.seconds(KernelTimes.Family.ATTENTION) > 0);
            assertTrue(KernelTimes.seconds(KernelTimes.Family.LAYERNORM) > 0);
            assertTrue(KernelTimes.seconds(KernelTimes.Family.ACTIVATION) > 0);
            KernelTimes.reset();
            assertEquals(0.0, KernelTimes.matmulFlops());
            KernelTimes.enable(false);
            Matmul.matmulForward(lanes, out, inp, w, null, BT, C, OC);
            assertEquals(0.0, KernelTimes.matmulFlops(), "off: nothing counted");
            assertEquals(0.0, KernelTimes.seconds(KernelTimes.Family.MATMUL));
        } finally {
            KernelTimes.enable(false);
        }
    }
}
