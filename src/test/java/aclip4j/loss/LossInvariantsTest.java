package aclip4j.loss;

import static aclip4j.loss.Close.assertClose;
import static aclip4j.loss.Float64Losses.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.Backend;
import aclip4j.kernel.Lanes;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Properties of the §6 losses that hold whatever the implementation, checked on both backends. */
class LossInvariantsTest {
    private static final Lanes LANES = Lanes.preferred();

    /** Rows 0..B-1 of the identity in E dimensions, each scaled: aligned with itself, orthogonal to the others. */
    private static float[] basis(int B, int E, float scale) {
        float[] x = new float[B * E];
        for (int b = 0; b < B; b++) {
            x[b * E + b] = scale * (b + 1);
        }
        return x;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void alignedSeparatedClipLossVanishesAsTheScaleGrows(Backend backend) {
        int V = 2, B = 4, E = 5;
        float[] text = basis(B, E, 1f);
        float[] image = new float[V * B * E];
        System.arraycopy(basis(B, E, 2f), 0, image, 0, B * E);
        System.arraycopy(basis(B, E, 0.5f), 0, image, B * E, B * E);
        float previous = Float.POSITIVE_INFINITY;
        for (float t : new float[] {0f, 1f, 2f, 3f, 4f, (float) Math.log(100)}) {
            ClipLoss.Pass pass = Twins.clip(backend, LANES).forward(image, text, t, V, B, E);
            // logits = s I: each cross-entropy is log(1 + (B-1) e^{-s})
            double s = Math.exp(t);
            assertClose("loss at t=" + t, Math.log1p((B - 1) * Math.exp(-s)), pass.loss(), 1e-6, 1e-4);
            // strictly while float can still see the off-diagonal terms, then pinned at 0
            assertTrue(pass.loss() < previous || pass.loss() == 0f, "loss decreases as t grows");
            float dt = pass.backward(1f).logitScale();
            assertTrue(dt < 0 || (pass.loss() < 1e-6 && dt <= 0), "a larger scale lowers the loss, dL/dt = " + dt);
            previous = pass.loss();
        }
        assertTrue(previous < 1e-6, "at the clamp ln 100 the loss is ~(B-1)e^-100, got " + previous);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void permutingTheBatchPermutesTheGradients(Backend backend) {
        int V = 3, B = 5, D = 7;
        int[] perm = {3, 0, 4, 1, 2};
        Random rnd = new Random(21);
        float[] image = gaussian(rnd, V * B * D);
        float[] text = gaussian(rnd, B * D);
        float[] a = gaussian(rnd, B * D);
        float[] b = gaussian(rnd, B * D);
        float[] z1 = gaussian(rnd, B * D);
        float[] z2 = gaussian(rnd, B * D);

        ClipLoss clip = Twins.clip(backend, LANES);
        ClipLoss.Pass c0 = clip.forward(image, text, 2.5f, V, B, D);
        ClipLoss.Pass c1 = clip.forward(permute(image, perm, V, B, D), permute(text, perm, 1, B, D), 2.5f, V, B, D);
        assertClose("clip loss", c0.loss(), c1.loss(), 1e-6, 1e-5);
        assertClose("clip loss_per_view", c0.lossPerView(), c1.lossPerView(), 1e-6, 1e-5);
        ClipLoss.Grads g0 = c0.backward(1f);
        ClipLoss.Grads g1 = c1.backward(1f);
        assertClose("clip grad_image", permute(g0.imageEmbed(), perm, V, B, D), g1.imageEmbed(), 1e-6, 1e-4);
        assertClose("clip grad_text", permute(g0.textEmbed(), perm, 1, B, D), g1.textEmbed(), 1e-6, 1e-4);
        assertClose("clip grad_t", g0.logitScale(), g1.logitScale(), 1e-6, 1e-4);

        SimClrLoss simclr = Twins.simclr(backend, LANES);
        LossPass<ViewPairGrads> s0 = simclr.forward(a, b, B, D, 0.1);
        LossPass<ViewPairGrads> s1 = simclr.forward(permute(a, perm, 1, B, D), permute(b, perm, 1, B, D), B, D, 0.1);
        assertClose("simclr loss", s0.loss(), s1.loss(), 1e-6, 1e-5);
        assertClose("simclr grad_a", permute(s0.backward(1f).first(), perm, 1, B, D), s1.backward(1f).first(), 1e-6, 1e-4);
        assertClose("simclr grad_b", permute(s0.backward(1f).second(), perm, 1, B, D), s1.backward(1f).second(), 1e-6, 1e-4);

        SimSiamLoss simsiam = Twins.simsiam(backend, LANES);
        LossPass<ViewPairGrads> m0 = simsiam.forward(a, b, z1, z2, B, D);
        LossPass<ViewPairGrads> m1 = simsiam.forward(permute(a, perm, 1, B, D), permute(b, perm, 1, B, D),
                permute(z1, perm, 1, B, D), permute(z2, perm, 1, B, D), B, D);
        assertClose("simsiam loss", m0.loss(), m1.loss(), 1e-6, 1e-5);
        assertClose("simsiam grad_p1", permute(m0.backward(1f).first(), perm, 1, B, D), m1.backward(1f).first(), 1e-6, 1e-4);

        ByolLoss byol = Twins.byol(backend, LANES);
        LossPass<float[]> y0 = byol.forward(image, text, V, B, D);
        LossPass<float[]> y1 = byol.forward(permute(image, perm, V, B, D), permute(text, perm, 1, B, D), V, B, D);
        assertClose("byol loss", y0.loss(), y1.loss(), 1e-6, 1e-5);
        assertClose("byol grad_pred", permute(y0.backward(1f), perm, V, B, D), y1.backward(1f), 1e-6, 1e-4);
    }

    /** Row b of each of the V blocks of B rows moves to position b' with perm[b'] = b. */
    private static float[] permute(float[] x, int[] perm, int V, int B, int D) {
        float[] y = new float[x.length];
        for (int v = 0; v < V; v++) {
            for (int i = 0; i < B; i++) {
                System.arraycopy(x, (v * B + perm[i]) * D, y, (v * B + i) * D, D);
            }
        }
        return y;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void simclrSameViewIsNotTheCorrectLoss(Backend backend) {
        int B = 6, D = 9;
        Random rnd = new Random(4);
        float[] a = gaussian(rnd, B * D);
        float[] b = gaussian(rnd, B * D);
        SimClrLoss simclr = Twins.simclr(backend, LANES);
        LossPass<ViewPairGrads> correct = simclr.forward(a, b, B, D, 0.1, false);
        LossPass<ViewPairGrads> buggy = simclr.forward(a, b, B, D, 0.1, true);
        assertTrue(Math.abs(correct.loss() - buggy.loss()) > 0.1,
                "same_view " + buggy.loss() + " vs correct " + correct.loss());
        // same_view is exactly the loss of (a, a)
        assertEquals(simclr.forward(a, a, B, D, 0.1, false).loss(), buggy.loss(), 1e-6f);
        ViewPairGrads g = buggy.backward(1f);
        for (float v : g.second()) {
            assertEquals(0f, v, 0f, "b takes no part in the same_view loss");
        }
        float[] correctA = correct.backward(1f).first();
        double diff = 0;
        for (int i = 0; i < correctA.length; i++) {
            diff = Math.max(diff, Math.abs(correctA[i] - g.first()[i]));
        }
        assertTrue(diff > 1e-3, "same_view changes grad_a");
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void byolOfIdenticalOrScaledPredictionAndTargetIsZero(Backend backend) {
        int V = 2, B = 3, D = 17;
        Random rnd = new Random(8);
        float[] target = gaussian(rnd, B * D);
        float[] pred = new float[V * B * D];
        for (int i = 0; i < B * D; i++) {
            pred[i] = target[i];           // view 0: identical
            pred[B * D + i] = 3f * target[i]; // view 1: same direction, longer
        }
        LossPass<float[]> pass = Twins.byol(backend, LANES).forward(pred, target, V, B, D);
        assertEquals(0.0, pass.loss(), 1e-6);
        // at the minimum the gradient vanishes too
        assertClose("grad_pred at the minimum", new double[V * B * D], pass.backward(1f), 1e-6, 0);
        // and opposite directions give the maximum, 4
        float[] opposite = new float[B * D];
        for (int i = 0; i < opposite.length; i++) {
            opposite[i] = -target[i];
        }
        assertEquals(4.0, Twins.byol(backend, LANES).forward(opposite, target, 1, B, D).loss(), 1e-5);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void simsiamOfMatchingPairsIsMinusOne(Backend backend) {
        int B = 4, D = 5;
        Random rnd = new Random(9);
        float[] z1 = gaussian(rnd, B * D);
        float[] z2 = gaussian(rnd, B * D);
        // p1 predicts z2 and p2 predicts z1 exactly: D = -1 for both terms
        LossPass<ViewPairGrads> pass = Twins.simsiam(backend, LANES).forward(z2, z1, z1, z2, B, D);
        assertEquals(-1.0, pass.loss(), 1e-6);
        // swapping the pairing is not the minimum
        assertTrue(Twins.simsiam(backend, LANES).forward(z1, z2, z1, z2, B, D).loss() > -0.99);
    }
}
