package aclip4j.loss;

import static aclip4j.kernel.Bits.assertSameBits;
import static aclip4j.loss.Close.assertClose;
import static aclip4j.loss.Float64Losses.gaussian;

import aclip4j.kernel.Lanes;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/**
 * The twins agree: every §6 loss value and every gradient from {@code Simd…} (at each lane width) against
 * {@code Nd4j…} (SameDiff autodiff, so the gradients come from an independent derivation), within float rounding.
 * And the SIMD losses give <b>the same bits</b> at every {@link Lanes#testWidths()} as their scalar specification
 * ({@code Lanes.SCALAR}, docs/SPEC.md §13). Widths are 1, primes and lane counts ± 1; B includes 1 and 17 (a
 * softmax row just past a block of 16 partials), and 15 and 16 in the bit-exact checks (SimCLR rows of 2B = 30 to
 * 34); V = 1, 2, 3. Some cases duplicate a row (tied logits) or zero one (the normalisation floor, where gradients
 * are ~1e12).
 */
class LossParityProperties {
    @Provide
    Arbitrary<Integer> widths() {
        return Arbitraries.of(1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33);
    }

    @Provide
    Arbitrary<Integer> batches() {
        return Arbitraries.of(1, 2, 3, 4, 5, 7, 8, 9, 17);
    }

    /** B for the bit-exact checks, which need no ND4J and so can afford more sizes. */
    @Provide
    Arbitrary<Integer> bitBatches() {
        return Arbitraries.of(1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17);
    }

    @Provide
    Arbitrary<Lanes> lanes() {
        return Arbitraries.of(Lanes.testWidths());
    }

    /**
     * Float twins: tight relative agreement, with an absolute floor for elements that cancel to near zero. A
     * normalisation backward {@code (dy − y (y . dy)) / ||x||} cancels to a rounding of {@code |dy| / ||x||}, and
     * {@code |dy|} grows with the logit multiplier ({@code exp(t)} or {@code 1/τ}), so the floor scales with it.
     */
    private static void assertTwins(String what, float[] nd4j, float[] simd, double logitMultiplier) {
        double max = 0;
        for (float v : nd4j) {
            max = Math.max(max, Math.abs(v));
        }
        assertClose(what, nd4j, simd, 1e-5 * max + 4e-6 * Math.max(1, logitMultiplier), 1e-3);
    }

    private static void assertTwins(String what, float[] nd4j, float[] simd) {
        assertTwins(what, nd4j, simd, 1);
    }

    /** R rows of width D, Gaussian directions with norms in [0.5, 3], so no row but the zeroed one is near 0. */
    private static float[] rows(Random rnd, int R, int D) {
        float[] x = gaussian(rnd, R * D);
        for (int r = 0; r < R; r++) {
            double ss = 0;
            for (int d = 0; d < D; d++) {
                ss += x[r * D + d] * x[r * D + d];
            }
            double target = 0.5 + 2.5 * rnd.nextDouble();
            float f = (float) (target / Math.max(Math.sqrt(ss), 1e-6));
            for (int d = 0; d < D; d++) {
                x[r * D + d] *= f;
            }
        }
        return x;
    }

    private static void perturb(float[] x, int rows, int D, boolean duplicate, boolean zero) {
        if (duplicate && rows > 1) {
            System.arraycopy(x, 0, x, D, D);
        }
        if (zero) {
            java.util.Arrays.fill(x, (rows - 1) * D, rows * D, 0f);
        }
    }

    @Property(tries = 50)
    void clipTwinsAgree(@ForAll("lanes") Lanes lanes, @ForAll @IntRange(min = 1, max = 3) int V,
                        @ForAll("batches") int B, @ForAll("widths") int E,
                        @ForAll @DoubleRange(min = -1, max = 4.6) double t,
                        @ForAll boolean duplicate, @ForAll boolean zero, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] image = rows(rnd, V * B, E);
        float[] text = rows(rnd, B, E);
        perturb(text, B, E, duplicate, false);
        perturb(image, V * B, E, false, zero);
        ClipLoss.Pass s = new SimdClipLoss(lanes).forward(image, text, (float) t, V, B, E);
        ClipLoss.Pass n = new Nd4jClipLoss().forward(image, text, (float) t, V, B, E);
        assertTwins("loss", new float[] {n.loss()}, new float[] {s.loss()});
        assertTwins("loss_per_view", n.lossPerView(), s.lossPerView());
        ClipLoss.Grads gs = s.backward(1f);
        ClipLoss.Grads gn = n.backward(1f);
        assertTwins("grad_image_embed", gn.imageEmbed(), gs.imageEmbed(), Math.exp(t));
        assertTwins("grad_text_embed", gn.textEmbed(), gs.textEmbed(), Math.exp(t));
        assertClose("grad_logit_scale", gn.logitScale(), gs.logitScale(), 1e-6, 1e-3);
    }

    @Property(tries = 50)
    void simclrTwinsAgree(@ForAll("lanes") Lanes lanes, @ForAll("batches") int B, @ForAll("widths") int D,
                          @ForAll("temperatures") double tau, @ForAll boolean sameView,
                          @ForAll boolean duplicate, @ForAll boolean zero, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] a = rows(rnd, B, D);
        float[] b = rows(rnd, B, D);
        perturb(a, B, D, duplicate, false);
        perturb(b, B, D, false, zero);
        LossPass<ViewPairGrads> s = new SimdSimClrLoss(lanes).forward(a, b, B, D, tau, sameView);
        LossPass<ViewPairGrads> n = new Nd4jSimClrLoss().forward(a, b, B, D, tau, sameView);
        assertTwins("loss", new float[] {n.loss()}, new float[] {s.loss()});
        ViewPairGrads gs = s.backward(1f);
        ViewPairGrads gn = n.backward(1f);
        assertTwins("grad_a", gn.first(), gs.first(), 1 / tau);
        assertTwins("grad_b", gn.second(), gs.second(), 1 / tau);
    }

    @Provide
    Arbitrary<Double> temperatures() {
        return Arbitraries.of(0.05, 0.1, 0.2, 0.5, 1.0, 3.0);
    }

    @Property(tries = 50)
    void simsiamTwinsAgree(@ForAll("lanes") Lanes lanes, @ForAll("batches") int B, @ForAll("widths") int D,
                           @ForAll boolean zero, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] p1 = rows(rnd, B, D);
        float[] p2 = rows(rnd, B, D);
        float[] z1 = rows(rnd, B, D);
        float[] z2 = rows(rnd, B, D);
        perturb(p2, B, D, false, zero);
        LossPass<ViewPairGrads> s = new SimdSimSiamLoss(lanes).forward(p1, p2, z1, z2, B, D);
        LossPass<ViewPairGrads> n = new Nd4jSimSiamLoss().forward(p1, p2, z1, z2, B, D);
        assertTwins("loss", new float[] {n.loss()}, new float[] {s.loss()});
        ViewPairGrads gs = s.backward(1f);
        ViewPairGrads gn = n.backward(1f);
        assertTwins("grad_p1", gn.first(), gs.first());
        assertTwins("grad_p2", gn.second(), gs.second());
    }

    @Property(tries = 50)
    void byolTwinsAgree(@ForAll("lanes") Lanes lanes, @ForAll @IntRange(min = 1, max = 3) int V,
                        @ForAll("batches") int B, @ForAll("widths") int D, @ForAll boolean zero, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] pred = rows(rnd, V * B, D);
        float[] target = rows(rnd, B, D);
        perturb(pred, V * B, D, false, zero);
        LossPass<float[]> s = new SimdByolLoss(lanes).forward(pred, target, V, B, D);
        LossPass<float[]> n = new Nd4jByolLoss().forward(pred, target, V, B, D);
        assertTwins("loss", new float[] {n.loss()}, new float[] {s.loss()});
        assertTwins("grad_pred", n.backward(1f), s.backward(1f));
    }

    // ---------------------------------------------------------------------------------------------------------
    // every width against the scalar specification, bit for bit

    @Property(tries = 60)
    void clipWidthsGiveTheScalarBits(@ForAll @IntRange(min = 1, max = 3) int V, @ForAll("bitBatches") int B,
                                     @ForAll("widths") int E, @ForAll @DoubleRange(min = -1, max = 4.6) double t,
                                     @ForAll boolean duplicate, @ForAll boolean zero, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] image = rows(rnd, V * B, E);
        float[] text = rows(rnd, B, E);
        perturb(text, B, E, duplicate, false);
        perturb(image, V * B, E, false, zero);
        ClipLoss.Pass ref = new SimdClipLoss(Lanes.SCALAR).forward(image, text, (float) t, V, B, E);
        ClipLoss.Grads gref = ref.backward(1f);
        for (Lanes lanes : Lanes.testWidths()) {
            ClipLoss.Pass p = new SimdClipLoss(lanes).forward(image, text, (float) t, V, B, E);
            String at = lanes + " V=" + V + " B=" + B + " E=" + E + ": ";
            assertSameBits(at + "loss", ref.loss(), p.loss());
            assertSameBits(at + "loss_per_view", ref.lossPerView(), p.lossPerView());
            ClipLoss.Grads g = p.backward(1f);
            assertSameBits(at + "grad_image_embed", gref.imageEmbed(), g.imageEmbed());
            assertSameBits(at + "grad_text_embed", gref.textEmbed(), g.textEmbed());
            assertSameBits(at + "grad_logit_scale", gref.logitScale(), g.logitScale());
        }
    }

    @Property(tries = 60)
    void simclrWidthsGiveTheScalarBits(@ForAll("bitBatches") int B, @ForAll("widths") int D,
                                       @ForAll("temperatures") double tau, @ForAll boolean sameView,
                                       @ForAll boolean duplicate, @ForAll boolean zero, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] a = rows(rnd, B, D);
        float[] b = rows(rnd, B, D);
        perturb(a, B, D, duplicate, false);
        perturb(b, B, D, false, zero);
        LossPass<ViewPairGrads> ref = new SimdSimClrLoss(Lanes.SCALAR).forward(a, b, B, D, tau, sameView);
        ViewPairGrads gref = ref.backward(1f);
        for (Lanes lanes : Lanes.testWidths()) {
            LossPass<ViewPairGrads> p = new SimdSimClrLoss(lanes).forward(a, b, B, D, tau, sameView);
            String at = lanes + " B=" + B + " D=" + D + " sameView=" + sameView + ": ";
            assertSameBits(at + "loss", ref.loss(), p.loss());
            ViewPairGrads g = p.backward(1f);
            assertSameBits(at + "grad_a", gref.first(), g.first());
            assertSameBits(at + "grad_b", gref.second(), g.second());
        }
    }

    @Property(tries = 60)
    void simsiamWidthsGiveTheScalarBits(@ForAll("bitBatches") int B, @ForAll("widths") int D, @ForAll boolean zero,
                                        @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] p1 = rows(rnd, B, D);
        float[] p2 = rows(rnd, B, D);
        float[] z1 = rows(rnd, B, D);
        float[] z2 = rows(rnd, B, D);
        perturb(p2, B, D, false, zero);
        LossPass<ViewPairGrads> ref = new SimdSimSiamLoss(Lanes.SCALAR).forward(p1, p2, z1, z2, B, D);
        ViewPairGrads gref = ref.backward(1f);
        for (Lanes lanes : Lanes.testWidths()) {
            LossPass<ViewPairGrads> p = new SimdSimSiamLoss(lanes).forward(p1, p2, z1, z2, B, D);
            String at = lanes + " B=" + B + " D=" + D + ": ";
            assertSameBits(at + "loss", ref.loss(), p.loss());
            ViewPairGrads g = p.backward(1f);
            assertSameBits(at + "grad_p1", gref.first(), g.first());
            assertSameBits(at + "grad_p2", gref.second(), g.second());
        }
    }

    @Property(tries = 60)
    void byolWidthsGiveTheScalarBits(@ForAll @IntRange(min = 1, max = 3) int V, @ForAll("bitBatches") int B,
                                     @ForAll("widths") int D, @ForAll boolean zero, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] pred = rows(rnd, V * B, D);
        float[] target = rows(rnd, B, D);
        perturb(pred, V * B, D, false, zero);
        LossPass<float[]> ref = new SimdByolLoss(Lanes.SCALAR).forward(pred, target, V, B, D);
        float[] gref = ref.backward(1f);
        for (Lanes lanes : Lanes.testWidths()) {
            LossPass<float[]> p = new SimdByolLoss(lanes).forward(pred, target, V, B, D);
            String at = lanes + " V=" + V + " B=" + B + " D=" + D + ": ";
            assertSameBits(at + "loss", ref.loss(), p.loss());
            assertSameBits(at + "grad_pred", gref, p.backward(1f));
        }
    }
}
