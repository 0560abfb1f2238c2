package aclip4j.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The SameDiff building blocks the {@code Nd4j…} losses rely on, on the small shapes where SameDiff 1.0.0-M2.1's own
 * ops misbehave (a (1,1) matmul result, width-1 rows), checked against ND4J's eager matmul or plain loops.
 */
class SameDiffLossesTest {
    private static float[] flat(INDArray a) {
        return a.castTo(DataType.FLOAT).dup('c').data().asFloat();
    }

    @Test
    void matmulGradientsOnAllSmallShapes() {
        Nd4j.getRandom().setSeed(5);
        for (int m = 1; m <= 3; m++) {
            for (int k = 1; k <= 3; k++) {
                for (int n = 1; n <= 3; n++) {
                    for (boolean tY : new boolean[] {false, true}) {
                        SameDiff sd = SameDiff.create();
                        INDArray xa = Nd4j.rand(DataType.FLOAT, m, k);
                        INDArray ya = tY ? Nd4j.rand(DataType.FLOAT, n, k) : Nd4j.rand(DataType.FLOAT, k, n);
                        INDArray w = Nd4j.rand(DataType.FLOAT, m, n);
                        SDVariable prod = SameDiffLosses.matmul(sd, sd.var("x", xa), sd.var("y", ya), tY, m, k, n);
                        SDVariable loss = sd.sum(prod.mul(sd.constant(w)));
                        Map<String, INDArray> g = SameDiffLosses.gradients(sd, loss, "x", "y");
                        // loss = sum(W ∘ x op(y)): dx = W op(y)^T, d op(y) = x^T W
                        INDArray opY = tY ? ya.transpose() : ya;
                        INDArray dOpY = xa.transpose().mmul(w);
                        String tag = "m=" + m + " k=" + k + " n=" + n + " transposeY=" + tY;
                        assertArrayEquals(flat(w.mmul(opY.transpose())), flat(g.get("x")), 1e-5f, tag + " dx");
                        assertArrayEquals(flat(tY ? dOpY.transpose() : dOpY), flat(g.get("y")), 1e-5f, tag + " dy");
                        assertArrayEquals(flat(xa.mmul(opY)), flat(sd.output(Map.of(), prod.name()).get(prod.name())),
                                1e-5f, tag + " value");
                    }
                }
            }
        }
    }

    @Test
    void normaliseAndLogSoftmaxOnWidthOneAndBatchOne() {
        for (int R = 1; R <= 2; R++) {
            for (int W = 1; W <= 3; W++) {
                SameDiff sd = SameDiff.create();
                INDArray xa = Nd4j.linspace(1, R * W, R * W, DataType.FLOAT).reshape(R, W).subi(1.5);
                SDVariable x = sd.var("x", xa);
                SDVariable y = SameDiffLosses.normalizeRows(sd, x, R, W);
                SDVariable lp = SameDiffLosses.logSoftmaxRows(sd, x, R, W);
                Map<String, INDArray> out = sd.output(Map.of(), y.name(), lp.name());
                float[] xs = flat(xa);
                float[] expectedY = new float[R * W];
                float[] expectedLp = new float[R * W];
                for (int r = 0; r < R; r++) {
                    double ss = 0;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < W; j++) {
                        ss += xs[r * W + j] * xs[r * W + j];
                        max = Math.max(max, xs[r * W + j]);
                    }
                    double se = 0;
                    for (int j = 0; j < W; j++) {
                        se += Math.exp(xs[r * W + j] - max);
                    }
                    for (int j = 0; j < W; j++) {
                        expectedY[r * W + j] = (float) (xs[r * W + j] / Math.sqrt(ss));
                        expectedLp[r * W + j] = (float) (xs[r * W + j] - max - Math.log(se));
                    }
                }
                String tag = "R=" + R + " W=" + W;
                assertArrayEquals(expectedY, flat(out.get(y.name())), 1e-6f, tag + " normalise");
                assertArrayEquals(expectedLp, flat(out.get(lp.name())), 1e-6f, tag + " logSoftmax");
            }
        }
    }

    /** SameDiff prints one "Added differentiated op …" line per op when it builds a gradient graph; ours do not. */
    @Test
    void gradientConstructionChatterIsFilteredFromStdout() {
        java.io.PrintStream saved = System.out;
        java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream filtered = new java.io.ByteArrayOutputStream();
        try {
            System.setOut(new java.io.PrintStream(raw, true));
            SameDiff plain = SameDiff.create();
            SDVariable x = plain.var("x", Nd4j.ones(DataType.FLOAT, 2, 3));
            plain.setLossVariables(plain.sum(x.mul(x)));
            plain.createGradFunction("x");

            System.setOut(new java.io.PrintStream(filtered, true));
            new Nd4jByolLoss().forward(new float[] {1, 2, 3, 4, 5, 6}, new float[] {1, 0, 0}, 2, 1, 3).backward(1f);
            System.out.println("after");
        } finally {
            System.setOut(saved);
        }
        assertTrue(raw.toString().contains("Added differentiated op"), "SameDiff itself still prints: " + raw);
        assertEquals("after" + System.lineSeparator(), filtered.toString());
    }
}
