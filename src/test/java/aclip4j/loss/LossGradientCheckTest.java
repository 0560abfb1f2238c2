package aclip4j.loss;

import static aclip4j.loss.Close.assertClose;
import static aclip4j.loss.Close.maxAbs;
import static aclip4j.loss.Float64Losses.gaussian;
import static aclip4j.loss.Float64Losses.gradient;
import static aclip4j.loss.Float64Losses.widen;
import static org.junit.jupiter.api.Assertions.assertEquals;

import aclip4j.Backend;
import aclip4j.kernel.Lanes;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every gradient of every §6 loss, on both backends, against central finite differences of the float64 oracle
 * ({@link Float64Losses}) evaluated at the same (widened) inputs. The tolerance is a few float roundings wide,
 * far tighter than a wrong factor, sign or missing term would be.
 */
class LossGradientCheckTest {
    private static final double RTOL = 2e-3;

    static Stream<Arguments> cases() {
        // backend, V, B, D, seed; D hits lane tails (3, 5, 17) and B hits 1
        Stream.Builder<Arguments> s = Stream.builder();
        for (Backend backend : Backend.values()) {
            s.add(Arguments.of(backend, 1, 1, 3, 11L));
            s.add(Arguments.of(backend, 2, 3, 5, 12L));
            s.add(Arguments.of(backend, 3, 4, 17, 13L));
            s.add(Arguments.of(backend, 2, 5, 8, 14L));
        }
        return s.build();
    }

    /** Relative tolerance on the large elements, an absolute floor scaled to the gradient for the small ones. */
    private static void assertGrad(String what, double[] fd, float[] actual) {
        assertClose(what, fd, actual, 1e-4 * maxAbs(fd) + 1e-8, RTOL);
    }

    private static Lanes lanes() {
        return Lanes.preferred();
    }

    @ParameterizedTest(name = "{0} V={1} B={2} E={3}")
    @MethodSource("cases")
    void clipGradients(Backend backend, int V, int B, int E, long seed) {
        Random rnd = new Random(seed);
        float[] image = gaussian(rnd, V * B * E);
        float[] text = gaussian(rnd, B * E);
        for (float t : new float[] {0.3f, (float) Math.log(1 / 0.07), (float) Math.log(100)}) {
            ClipLoss.Pass pass = Twins.clip(backend, lanes()).forward(image, text, t, V, B, E);
            ClipLoss.Grads g = pass.backward(1f);
            double[] img = widen(image);
            double[] txt = widen(text);
            assertClose("loss t=" + t, Float64Losses.clip(img, txt, t, V, B, E), pass.loss(), 1e-5, 1e-5);
            assertClose("loss_per_view t=" + t, Float64Losses.clipPerView(img, txt, t, V, B, E), pass.lossPerView(),
                    1e-5, 1e-5);
            assertGrad("grad_image_embed t=" + t, gradient(x -> Float64Losses.clip(x, txt, t, V, B, E), img, E), g.imageEmbed());
            assertGrad("grad_text_embed t=" + t, gradient(x -> Float64Losses.clip(img, x, t, V, B, E), txt, E), g.textEmbed());
            double dt = Float64Losses.derivative(x -> Float64Losses.clip(img, txt, x, V, B, E), t);
            assertClose("grad_logit_scale t=" + t, dt, g.logitScale(), 1e-6, RTOL);
            // the upstream gradient scales every output
            ClipLoss.Grads half = pass.backward(0.5f);
            assertClose("dLoss scaling", g.logitScale() * 0.5, half.logitScale(), 1e-7, 1e-5);
        }
    }

    @ParameterizedTest(name = "{0} V={1} B={2} D={3}")
    @MethodSource("cases")
    void simclrGradients(Backend backend, int V, int B, int D, long seed) {
        Random rnd = new Random(seed);
        float[] a = gaussian(rnd, B * D);
        float[] b = gaussian(rnd, B * D);
        double[] ad = widen(a);
        double[] bd = widen(b);
        for (double tau : new double[] {0.1, 0.5}) {
            LossPass<ViewPairGrads> pass = Twins.simclr(backend, lanes()).forward(a, b, B, D, tau);
            ViewPairGrads g = pass.backward(1f);
            double tauF = (float) tau;
            assertClose("loss tau=" + tau, Float64Losses.simclr(ad, bd, B, D, tauF), pass.loss(), 1e-5, 1e-5);
            assertGrad("grad_a tau=" + tau, gradient(x -> Float64Losses.simclr(x, bd, B, D, tauF), ad, D), g.first());
            assertGrad("grad_b tau=" + tau, gradient(x -> Float64Losses.simclr(ad, x, B, D, tauF), bd, D), g.second());
        }
        // same_view: the loss of (a, a), all gradient to a, none to b
        LossPass<ViewPairGrads> same = Twins.simclr(backend, lanes()).forward(a, b, B, D, 0.1, true);
        ViewPairGrads g = same.backward(1f);
        double tauF = (float) 0.1;
        assertClose("same_view loss", Float64Losses.simclr(ad, ad, B, D, tauF), same.loss(), 1e-5, 1e-5);
        assertGrad("same_view grad_a", gradient(x -> Float64Losses.simclr(x, x, B, D, tauF), ad, D), g.first());
        assertClose("same_view grad_b", new double[B * D], g.second(), 0, 0);
    }

    @ParameterizedTest(name = "{0} V={1} B={2} D={3}")
    @MethodSource("cases")
    void simsiamGradients(Backend backend, int V, int B, int D, long seed) {
        Random rnd = new Random(seed);
        double[] p1 = widen(gaussian(rnd, B * D));
        double[] p2 = widen(gaussian(rnd, B * D));
        double[] z1 = widen(gaussian(rnd, B * D));
        double[] z2 = widen(gaussian(rnd, B * D));
        LossPass<ViewPairGrads> pass = Twins.simsiam(backend, lanes()).forward(Float64Losses.narrow(p1),
                Float64Losses.narrow(p2), Float64Losses.narrow(z1), Float64Losses.narrow(z2), B, D);
        ViewPairGrads g = pass.backward(1f);
        assertClose("loss", Float64Losses.simsiam(p1, p2, z1, z2, B, D), pass.loss(), 1e-6, 1e-5);
        assertGrad("grad_p1", gradient(x -> Float64Losses.simsiam(x, p2, z1, z2, B, D), p1, D), g.first());
        assertGrad("grad_p2", gradient(x -> Float64Losses.simsiam(p1, x, z1, z2, B, D), p2, D), g.second());
    }

    @ParameterizedTest(name = "{0} V={1} B={2} D={3}")
    @MethodSource("cases")
    void byolGradients(Backend backend, int V, int B, int D, long seed) {
        Random rnd = new Random(seed);
        double[] pred = widen(gaussian(rnd, V * B * D));
        double[] target = widen(gaussian(rnd, B * D));
        LossPass<float[]> pass = Twins.byol(backend, lanes()).forward(Float64Losses.narrow(pred),
                Float64Losses.narrow(target), V, B, D);
        assertClose("loss", Float64Losses.byol(pred, target, V, B, D), pass.loss(), 1e-6, 1e-5);
        assertGrad("grad_pred", gradient(x -> Float64Losses.byol(x, target, V, B, D), pred, D), pass.backward(1f));
    }

    /**
     * A row whose norm is under 1e-12 is divided by the constant floor, so its gradient is dL/dy / 1e-12 (about
     * 1e11 here) with no projection term; finite differences inside the floor see exactly that.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(Backend.class)
    void gradientBelowTheNormalisationFloor(Backend backend) {
        int V = 2, B = 3, D = 5;
        Random rnd = new Random(7);
        float[] image = gaussian(rnd, V * B * D);
        float[] text = gaussian(rnd, B * D);
        float[] pred = gaussian(rnd, V * B * D);
        float[] target = gaussian(rnd, B * D);
        for (int d = 0; d < D; d++) {
            image[4 * D + d] *= 1e-14f;  // view 1, image 1
            text[0 * D + d] *= 2e-14f;
            pred[1 * D + d] *= 1e-14f;
        }
        float t = 1.5f;
        ClipLoss.Pass clip = Twins.clip(backend, lanes()).forward(image, text, t, V, B, D);
        ClipLoss.Grads g = clip.backward(1f);
        double[] img = widen(image);
        double[] txt = widen(text);
        double[] fdImage = gradient(x -> Float64Losses.clip(x, txt, t, V, B, D), img, D);
        double[] fdText = gradient(x -> Float64Losses.clip(img, x, t, V, B, D), txt, D);
        assertTrue(maxAbs(fdImage) > 1e9, "the floored row dominates");
        assertClose("clip grad_image_embed", fdImage, g.imageEmbed(), 1e-4 * maxAbs(fdImage), RTOL);
        assertClose("clip grad_text_embed", fdText, g.textEmbed(), 1e-4 * maxAbs(fdText), RTOL);

        LossPass<float[]> byol = Twins.byol(backend, lanes()).forward(pred, target, V, B, D);
        double[] pd = widen(pred);
        double[] td = widen(target);
        double[] fdPred = gradient(x -> Float64Losses.byol(x, td, V, B, D), pd, D);
        assertClose("byol grad_pred", fdPred, byol.backward(1f), 1e-4 * maxAbs(fdPred), RTOL);

        float[] view2 = java.util.Arrays.copyOf(image, B * D);
        double[] v2 = widen(view2);
        LossPass<ViewPairGrads> simclr = Twins.simclr(backend, lanes()).forward(text, view2, B, D, 0.2);
        double[] fdA = gradient(x -> Float64Losses.simclr(x, v2, B, D, (float) 0.2), txt, D);
        assertClose("simclr grad_a", fdA, simclr.backward(1f).first(), 1e-4 * maxAbs(fdA), RTOL);
    }

    /** An all-zero row: y = 0 and the gradient is dL/dy / 1e-12, finite on both backends. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(Backend.class)
    void zeroRowHasAFiniteGradient(Backend backend) {
        int V = 1, B = 2, D = 3;
        float[] pred = {0, 0, 0, 1, 2, 3};
        float[] target = {1, 0, 0, 0, 1, 0};
        float[] g = Twins.byol(backend, lanes()).forward(pred, target, V, B, D).backward(1f);
        // row 0: dL/dy = -2/(VB) * t̂_0 = (-1, 0, 0), divided by the floor
        assertEquals(-1.0 / 1e-12, g[0], 1e-12 / 1e-12 * 1e5);
        assertEquals(0.0, g[1], 0.0);
        assertEquals(0.0, g[2], 0.0);
    }

    private static void assertTrue(boolean condition, String message) {
        org.junit.jupiter.api.Assertions.assertTrue(condition, message);
    }
}
