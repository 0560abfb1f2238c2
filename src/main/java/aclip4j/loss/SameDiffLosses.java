package aclip4j.loss;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
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
    static SDVariable normalizeRows(SameDiff sd, SDVariable x, int R, int D) {
        SDVariable sumSq = sumRows(sd, x.mul(x), D, true); // (R,1)
        SDVariable floor = sd.constant(Nd4j.valueArrayOf(new long[] {R, 1},
                (double) LossKernels.NORM_EPS * LossKernels.NORM_EPS, DataType.FLOAT));
        SDVariable denom = sd.math.sqrt(sd.math.max(sumSq, floor)); // (R,1)
        return x.div(spreadColumn(sd, denom, R, D));
    }

    /**
     * Log-softmax over the rows of x (R,W), shifted by the row max so no exponential overflows. Written out because
     * SameDiff 1.0.0-M2.1's logSoftmax gives Inf/NaN for rows holding large logits or the −1e9 SimCLR mask, and
     * fails when given a dimension. The max is part of the graph; its gradient cancels exactly (d lse / d m = 0).
     */
    static SDVariable logSoftmaxRows(SameDiff sd, SDVariable x, int R, int W) {
        if (W == 1) {
            return x.mul(0.0); // one class: log 1, whatever the logit
        }
        SDVariable shifted = x.sub(spreadColumn(sd, sd.max(x, true, 1), R, W));             // (R,W)
        SDVariable lse = sd.math.log(sumRows(sd, sd.math.exp(shifted), W, true));        // (R,1)
        return shifted.sub(spreadColumn(sd, lse, R, W));
    }

    /**
     * The sum of each row of x (R,W): (R,1) with keepDims, else (R). A width-1 row is its own sum; SameDiff
     * 1.0.0-M2.1 fails (NullPointerException) reducing a dimension of size 1.
     */
    static SDVariable sumRows(SameDiff sd, SDVariable x, int W, boolean keepDims) {
        if (W == 1) {
            return keepDims ? x : sd.reshape(x, -1);
        }
        return sd.sum(x, keepDims, 1);
    }

    /**
     * x (m,k) @ y (k,n), or x @ y^T with y (n,k) when transposeY. A (1,1) result is computed as an element-wise
     * product and a sum: SameDiff 1.0.0-M2.1's matmul backward fails for (1,1)@(1,1) and returns wrong gradients
     * for (1,k)@(1,k)^T.
     */
    static SDVariable matmul(SameDiff sd, SDVariable x, SDVariable y, boolean transposeY, int m, int k, int n) {
        if (m == 1 && n == 1) {
            return sumRows(sd, x.mul(transposeY ? y : sd.transpose(y)), k, true);
        }
        return sd.mmul(x, y, false, transposeY, false);
    }

    /**
     * A column c (R,1) repeated W times, (R,W), as an outer product with ones: SameDiff 1.0.0-M2.1's broadcasting
     * backward reduces a (1,1) operand's gradient wrongly when R = 1, an outer product has a plain matmul backward.
     */
    static SDVariable spreadColumn(SameDiff sd, SDVariable c, int R, int W) {
        if (W == 1) {
            return c;
        }
        return matmul(sd, c, sd.constant(Nd4j.ones(DataType.FLOAT, 1, W)), false, R, 1, W);
    }

    /**
     * Rows [from, from+n) of x (R,C) as (n,C), by a constant selection matmul (SameDiff 1.0.0-M2.1's strided-slice
     * backward fails on some small shapes).
     */
    static SDVariable rows(SameDiff sd, SDVariable x, int R, int C, int from, int n) {
        if (from == 0 && n == R) {
            return x;
        }
        INDArray select = Nd4j.zeros(DataType.FLOAT, n, R);
        select.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(from, from + n)).assign(Nd4j.eye(n));
        return matmul(sd, sd.constant(select), x, false, n, R, C);
    }

    /** -mean_i logp[i, i] for log-probabilities logp (B,W), W >= B: the cross-entropy with targets diag. */
    static SDVariable crossEntropyDiag(SameDiff sd, SDVariable logp, int B, int W) {
        INDArray pick = Nd4j.zeros(DataType.FLOAT, B, W);
        pick.put(new org.nd4j.linalg.indexing.INDArrayIndex[] {
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, B)},
                Nd4j.eye(B).castTo(DataType.FLOAT));
        return sd.sum(logp.mul(sd.constant(pick))).div(-B);
    }

    /**
     * Marks {@code loss} as the loss, builds the gradient graph with SameDiff's unconditional
     * "Added differentiated op …" println filtered out of stdout, and runs the graph once for the named outputs and
     * the gradients of the named variables.
     */
    static OutAndGrad run(SameDiff sd, SDVariable loss, List<String> outputs, String... wrt) {
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
        return sd.calculateGradientsAndOutputs(Map.of(), outputs, List.of(wrt));
    }

    /** The gradients only (tests of the building blocks). */
    static Map<String, INDArray> gradients(SameDiff sd, SDVariable loss, String... wrt) {
        return run(sd, loss, List.of(loss.name()), wrt).getGradients();
    }
}
