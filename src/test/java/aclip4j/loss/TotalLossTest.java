package aclip4j.loss;

import static aclip4j.loss.Close.assertClose;
import static aclip4j.loss.Float64Losses.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import aclip4j.kernel.Lanes;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The §6 total loss: the weighted sum of the terms, and each term's gradients scaled by its weight. */
class TotalLossTest {
    private static final Lanes LANES = Lanes.preferred();

    @Test
    void combinesLossesAndGradientsWithTheOfficialWeights() {
        int V = 2, B = 3, E = 8, D = 5;
        Random rnd = new Random(17);
        float[] image = gaussian(rnd, V * B * E);
        float[] text = gaussian(rnd, B * E);
        float[] a = gaussian(rnd, B * D);
        float[] b = gaussian(rnd, B * D);
        float[] pred = gaussian(rnd, V * B * D);
        float[] target = gaussian(rnd, B * D);
        ClipLoss.Pass clip = new SimdClipLoss(LANES).forward(image, text, 2.6592f, V, B, E);
        LossPass<ViewPairGrads> ssl = new SimdSimClrLoss(LANES).forward(a, b, B, D, 0.1);
        LossPass<float[]> byol = new SimdByolLoss(LANES).forward(pred, target, V, B, D);

        TotalLoss.Result<ViewPairGrads> r = TotalLoss.combine(clip, ssl, byol, TotalLoss.Weights.DEFAULTS);
        assertEquals(clip.loss() + 1.0 * ssl.loss() + 2.0 * byol.loss(), r.loss(), 1e-5);
        assertEquals(clip.loss(), r.clipLoss());
        assertEquals(ssl.loss(), r.sslLoss());
        assertEquals(byol.loss(), r.byolLoss());
        assertClose("clip grads unweighted", clip.backward(1f).imageEmbed(), r.clip().imageEmbed(), 0, 0);
        assertClose("ssl grads x1", ssl.backward(1f).first(), r.ssl().first(), 0, 0);
        float[] byolOnce = byol.backward(1f);
        float[] byolTwice = new float[byolOnce.length];
        for (int i = 0; i < byolOnce.length; i++) {
            byolTwice[i] = 2f * byolOnce[i];
        }
        assertClose("byol grads x2", byolTwice, r.byol(), 1e-7, 1e-6);

        TotalLoss.Result<ViewPairGrads> custom = TotalLoss.combine(clip, ssl, null, new TotalLoss.Weights(0.5, 2.0));
        assertEquals(clip.loss() + 0.5 * ssl.loss(), custom.loss(), 1e-5);
        assertEquals(0f, custom.byolLoss());
        assertNull(custom.byol());
        float[] half = ssl.backward(0.5f).second();
        assertClose("ssl grads x0.5", half, custom.ssl().second(), 0, 0);

        TotalLoss.Result<ViewPairGrads> clipOnly = TotalLoss.<ViewPairGrads>combine(clip, null, null, TotalLoss.Weights.DEFAULTS);
        assertEquals(clip.loss(), clipOnly.loss());
        assertNull(clipOnly.ssl());
    }
}
