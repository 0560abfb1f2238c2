package aclip4j.loss;

import aclip4j.nd.Nd;
import java.io.PrintStream;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** SameDiff pieces shared by the {@code Nd4j…} loss twins. */
final class SameDiffLosses {
    private static final String CHATTER = "Added differentiated op";
    private static final Object STDOUT_LOCK = new Object();

    private SameDiffLosses() {}

    /**
     * SPEC §6 normalisation of the rows of x (R,D): {@code x / max(||x||, 1e-12)}, written as
     * {@code x / sqrt(max(sum x², 1e-24))}. The two are equal in value and in gradient (sqrt is monotone), but this
     * form has no NaN at an all-zero row: SameDiff's norm2 backward divides by the norm there, and the max's zero
     * gradient would then multiply a NaN.
     */
    static SDVariable normalizeRows(SameDiff sd, SDVariable x, int R) {
        SDVariable sumSq = sd.sum(x.mul(x), true, 1); // (R,1)
        SDVariable floor = sd.constant(Nd4j.valueArrayOf(new long[] {R, 1},
                (double) LossKernels.NORM_EPS * LossKernels.NORM_EPS, DataType.FLOAT));
        return x.div(sd.math.sqrt(sd.math.max(sumSq, floor)));
    }

    /** -mean_i logp[i, i] for log-probabilities logp (B,W), W >= B: the cross-entropy with targets diag. */
    static SDVariable crossEntropyDiag(SameDiff sd, SDVariable logp, int B, int W) {
        INDArray pick = Nd4j.zeros(DataType.FLOAT, B, W);
        pick.put(new org.nd4j.linalg.indexing.INDArrayIndex[] {
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, B)},
                Nd4j.eye(B).castTo(DataType.FLOAT));
        return sd.sum(logp.mul(sd.constant(pick))).div(-B);
    }

    static INDArray matrix(float[] x, int rows, int cols) {
        return Nd.f32(x, rows, cols);
    }

    /**
     * Marks {@code loss} as the loss, builds the gradient graph with SameDiff's unconditional
     * "Added differentiated op …" println filtered out of stdout, and returns the gradients of the named variables.
     */
    static Map<String, INDArray> gradients(SameDiff sd, SDVariable loss, String... wrt) {
        sd.setLossVariables(loss);
        synchronized (STDOUT_LOCK) {
            PrintStream original = System.out;
            System.setOut(new PrintStream(original, true) {
                @Override
                public void println(String x) {
                    if (x == null || !x.startsWith(CHATTER)) {
                        super.println(x);
                    }
                }
            });
            try {
                sd.createGradFunction(wrt);
            } finally {
                System.setOut(original);
            }
        }
        return sd.calculateGradients(Map.of(), wrt);
    }
}
