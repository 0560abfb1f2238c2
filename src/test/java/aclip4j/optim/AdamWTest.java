package aclip4j.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.kernel.Lanes;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AdamWTest {

    static List<AdamW> implementations() {
        return List.of(new SimdAdamW(Lanes.SCALAR), new SimdAdamW(Lanes.preferred()), new Nd4jAdamW());
    }

    /**
     * From zero moments with no weight decay, the bias corrections cancel: m̂ = g, v̂ = g², so the first step is
     * −lr·g/(|g| + ε) ≈ −lr·sign(g) for every parameter, whatever the size of its gradient.
     */
    @ParameterizedTest
    @MethodSource("implementations")
    void firstStepMovesEachParameterByLrTimesTheSignOfItsGradient(AdamW adamW) {
        float[] param = {1f, -2f, 0.5f, 3f, 0f, -0.25f, 7f, 1f, 2f};
        float[] grad = {0.5f, -0.25f, 2f, -1e-3f, 40f, 1e-2f, -3f, 0f, 1e-4f};
        float[] before = param.clone();
        float[] m = new float[9];
        float[] v = new float[9];
        double lr = 1e-3;
        adamW.step(param, grad, m, v, lr, 0.9, 0.98, 1e-8, 0.0, 1);
        for (int i = 0; i < param.length; i++) {
            double want = before[i] - lr * Math.signum(grad[i]) * Math.abs(grad[i]) / (Math.abs(grad[i]) + 1e-8);
            double tol = lr * 1e-5 + Math.ulp(before[i]);
            assertEquals(want, param[i], tol, "param " + i);
            if (grad[i] != 0 && Math.abs(grad[i]) >= 1e-3f) {
                assertEquals(-lr * Math.signum(grad[i]), param[i] - before[i], lr * 1e-4 + Math.ulp(before[i]));
            }
            assertEquals(0.1f * grad[i], m[i], Math.ulp(m[i]), "exp_avg " + i);
            assertEquals(0.02 * grad[i] * grad[i], v[i], 1e-6 * v[i] + 1e-30, "exp_avg_sq " + i);
        }
        assertEquals(before[7], param[7], "zero gradient, zero moments: no move");
    }

    /** With a zero gradient and zero moments only the decoupled decay acts: param·(1 − lr·wd), exactly. */
    @ParameterizedTest
    @MethodSource("implementations")
    void weightDecayAloneScalesTheParameter(AdamW adamW) {
        float[] param = {1f, -2f, 0.5f, 3f, 100f};
        float[] before = param.clone();
        float[] m = new float[5];
        float[] v = new float[5];
        adamW.step(param, new float[5], m, v, 0.01, 0.9, 0.98, 1e-8, 0.5, 3);
        float decay = (float) (1 - 0.01 * 0.5);
        for (int i = 0; i < 5; i++) {
            assertEquals(before[i] * decay, param[i], "param " + i);
        }
        assertArrayEquals(new float[5], m);
        assertArrayEquals(new float[5], v);
    }

    /** A second step worked by hand in double: the float result must be within float rounding of it. */
    @ParameterizedTest
    @MethodSource("implementations")
    void secondStepByHand(AdamW adamW) {
        float[] param = {1f};
        float[] m = {0.1f * 2f};          // after a first step with g = 2: m = 0.2, v = 0.02·4 = 0.08
        float[] v = {0.08f};
        adamW.step(param, new float[] {-1f}, m, v, 0.1, 0.9, 0.98, 0.0, 0.0, 2);
        double mWant = 0.9 * 0.2 - 0.1;              // 0.08
        double vWant = 0.98 * 0.08 + 0.02;           // 0.0984
        double stepSize = 0.1 / (1 - 0.81);          // lr / (1 - β1²)
        double denom = Math.sqrt(vWant) / Math.sqrt(1 - 0.9604);
        assertEquals(mWant, m[0], 1e-7);
        assertEquals(vWant, v[0], 1e-7);
        assertEquals(1 - stepSize * mWant / denom, param[0], 1e-6);
    }

    @Test
    void scalarsFollowPyTorch() {
        AdamWScalars s = AdamWScalars.of(1e-3, 0.9, 0.98, 1e-8, 0.1, 3);
        assertEquals((float) (1 - 1e-4), s.decay());
        assertEquals(0.9f, s.beta1());
        assertEquals((float) (1 - 0.9), s.oneMinusBeta1());
        assertEquals((float) (1 - 0.98), s.oneMinusBeta2());
        assertEquals((float) -(1e-3 / (1 - 0.729)), s.negStepSize());
        assertEquals((float) Math.sqrt(1 - 0.98 * 0.98 * 0.98), s.biasCorrection2Sqrt());
        assertEquals(1e-8f, s.eps());
    }

    @Test
    void refusesBadHyperParametersAndShapes() {
        assertThrows(IllegalArgumentException.class, () -> AdamWScalars.of(-1e-3, 0.9, 0.98, 1e-8, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> AdamWScalars.of(Double.NaN, 0.9, 0.98, 1e-8, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> AdamWScalars.of(1e-3, 1.0, 0.98, 1e-8, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> AdamWScalars.of(1e-3, 0.9, -0.1, 1e-8, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> AdamWScalars.of(1e-3, 0.9, 0.98, -1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> AdamWScalars.of(1e-3, 0.9, 0.98, 1e-8, -0.1, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AdamWScalars.of(1e-3, 0.9, 0.98, 1e-8, 0, 0));
        assertTrue(e.getMessage().contains("step 0"), e.getMessage());
        for (AdamW adamW : implementations()) {
            e = assertThrows(IllegalArgumentException.class,
                    () -> adamW.step(new float[3], new float[2], new float[3], new float[3],
                            AdamWScalars.of(1e-3, 0.9, 0.98, 1e-8, 0, 1)));
            assertTrue(e.getMessage().contains("grad 2"), e.getMessage());
        }
    }
}
