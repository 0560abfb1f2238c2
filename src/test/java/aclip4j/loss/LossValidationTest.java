package aclip4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.Backend;
import aclip4j.kernel.Lanes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Bad inputs are refused by both twins with an IllegalArgumentException naming the value and what was expected. */
class LossValidationTest {
    private static final Lanes LANES = Lanes.preferred();

    private static void refused(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should mention '" + f + "'");
        }
    }

    private static float[] ones(int n) {
        float[] x = new float[n];
        java.util.Arrays.fill(x, 1f);
        return x;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void clipRefusesBadInputs(Backend backend) {
        ClipLoss clip = Twins.clip(backend, LANES);
        refused(() -> clip.forward(ones(2 * 3 * 4 - 1), ones(3 * 4), 1f, 2, 3, 4), "image_embed", "[6,4]");
        refused(() -> clip.forward(ones(2 * 3 * 4), ones(3 * 5), 1f, 2, 3, 4), "text_embed", "[3,4]");
        float[] nan = ones(2 * 3 * 4);
        nan[4 * 4 + 1] = Float.NaN;
        refused(() -> clip.forward(nan, ones(3 * 4), 1f, 2, 3, 4), "image_embed", "NaN", "[4,1]");
        float[] inf = ones(3 * 4);
        inf[0] = Float.NEGATIVE_INFINITY;
        refused(() -> clip.forward(ones(2 * 3 * 4), inf, 1f, 2, 3, 4), "text_embed", "Infinity");
        refused(() -> clip.forward(ones(2 * 3 * 4), ones(3 * 4), Float.NaN, 2, 3, 4), "logit_scale");
        refused(() -> clip.forward(ones(2 * 3 * 4), ones(3 * 4), 100f, 2, 3, 4), "logit_scale", "overflows");
        refused(() -> clip.forward(new float[0], new float[0], 1f, 0, 3, 4), "V = 0");
        refused(() -> clip.forward(null, ones(3 * 4), 1f, 2, 3, 4), "image_embed", "null");
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void simclrRefusesBadInputs(Backend backend) {
        SimClrLoss simclr = Twins.simclr(backend, LANES);
        refused(() -> simclr.forward(ones(6), ones(8), 2, 3, 0.1), "b", "[2,3]");
        refused(() -> simclr.forward(ones(6), ones(6), 2, 3, 0.0), "temperature = 0.0", "> 0");
        refused(() -> simclr.forward(ones(6), ones(6), 2, 3, -0.1), "temperature = -0.1");
        refused(() -> simclr.forward(ones(6), ones(6), 2, 3, Double.NaN), "temperature = NaN");
        refused(() -> simclr.forward(ones(6), ones(6), 2, 3, 1e-50), "temperature", "underflows");
        float[] nan = ones(6);
        nan[5] = Float.NaN;
        refused(() -> simclr.forward(ones(6), nan, 2, 3, 0.1, true), "b", "NaN", "[1,2]");
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void simsiamAndByolRefuseBadInputs(Backend backend) {
        SimSiamLoss simsiam = Twins.simsiam(backend, LANES);
        refused(() -> simsiam.forward(ones(6), ones(6), ones(6), ones(5), 2, 3), "z2", "[2,3]");
        float[] inf = ones(6);
        inf[2] = Float.POSITIVE_INFINITY;
        refused(() -> simsiam.forward(ones(6), ones(6), inf, ones(6), 2, 3), "z1", "Infinity");
        ByolLoss byol = Twins.byol(backend, LANES);
        refused(() -> byol.forward(ones(2 * 2 * 3), ones(2 * 3), 3, 2, 3), "pred", "[6,3]");
        refused(() -> byol.forward(ones(2 * 2 * 3), ones(2 * 4), 2, 2, 3), "target", "[2,3]");
        refused(() -> byol.forward(ones(0), ones(0), 1, 0, 3), "B = 0");
    }

    @Test
    void viewsMustDivideTheRows() {
        assertEquals(3, LossChecks.viewsOf("image_embed", 12, 4));
        refused(() -> LossChecks.viewsOf("image_embed", 10, 4), "image_embed has 10 rows", "multiple of 4");
        refused(() -> LossChecks.viewsOf("pred", 2, 4), "pred has 2 rows");
        refused(() -> LossChecks.viewsOf("pred", 4, 0), "B = 0");
    }

    @Test
    void totalLossWeightsMustBeFinite() {
        refused(() -> new TotalLoss.Weights(Double.NaN, 2), "w_ssl");
        refused(() -> TotalLoss.<ViewPairGrads>combine(null, null, null, TotalLoss.Weights.DEFAULTS), "clip");
    }
}
