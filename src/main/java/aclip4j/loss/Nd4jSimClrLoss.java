package aclip4j.loss;

import aclip4j.nd.Nd;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link SimClrLoss} with ND4J: NT-Xent (SPEC §6) as a SameDiff graph, gradients by autodiff. With
 * {@code sameView} the graph simply uses {@code a} in both places, so autodiff sums the two gradients into
 * {@code a} and {@code b} is not part of the graph (its gradient is zero).
 */
public final class Nd4jSimClrLoss implements SimClrLoss {
    @Override
    public LossPass<ViewPairGrads> forward(float[] a, float[] b, int B, int D, double temperature, boolean sameView) {
        SimClrLoss.validate(a, b, B, D, temperature);
        double tau = (float) temperature; // the SIMD twin divides by the float temperature too

        SameDiff sd = SameDiff.create();
        SDVariable av = sd.var("a", Nd.f32(a, B, D));
        SDVariable loss = define(sd, av, sameView ? av : sd.var("b", Nd.f32(b, B, D)), B, D, tau, sameView, "loss");
        String[] wrt = sameView ? new String[] {"a"} : new String[] {"a", "b"};
        OutAndGrad result = SameDiffLosses.run(sd, loss, List.of("loss"), wrt);
        Map<String, INDArray> grads = result.getGradients();
        float lossValue = result.getOutputs().get("loss").getFloat(0);
        INDArray ga = grads.get("a");
        INDArray gb = sameView ? Nd4j.zeros(DataType.FLOAT, B, D) : grads.get("b");
        return new LossPass<>() {
            @Override
            public float loss() {
                return lossValue;
            }

            @Override
            public ViewPairGrads backward(float dLoss) {
                return new ViewPairGrads(Nd.floats(ga.mul(dLoss)), Nd.floats(gb.mul(dLoss)));
            }
        };
    }

    /**
     * NT-Xent (§6) of two views {@code a, b [B,D]} in {@code sd} at temperature {@code tau} (already rounded to
     * float), named {@code name}; with {@code sameView} {@code b} is ignored and {@code a} used for both. Shared with
     * the resident training engine ({@code aclip4j.train.nd4j}).
     */
    public static SDVariable define(SameDiff sd, SDVariable a, SDVariable b, int B, int D, double tau,
                                    boolean sameView, String name) {
        SDVariable an = SameDiffLosses.normalizeRows(sd, a, B, D);
        SDVariable bn = sameView ? an : SameDiffLosses.normalizeRows(sd, b, B, D);
        SDVariable mask = sd.constant(Nd4j.eye(B).castTo(DataType.FLOAT).muli(SimClrLoss.LARGE_NUM));
        SDVariable lossA = side(sd, an, bn, mask, tau, B, D);
        SDVariable lossB = side(sd, bn, an, mask, tau, B, D);
        return lossA.add(lossB).div(name, 2.0);
    }

    /** CE([x y^T / τ | x x^T / τ − 1e9 I], diag) for normalised x, y (B,D). */
    private static SDVariable side(SameDiff sd, SDVariable x, SDVariable y, SDVariable mask, double tau, int B, int D) {
        SDVariable xy = SameDiffLosses.matmul(sd, x, y, true, B, D, B).div(tau);            // (B,B)
        SDVariable xx = SameDiffLosses.matmul(sd, x, x, true, B, D, B).div(tau).sub(mask);  // (B,B)
        SDVariable logp = SameDiffLosses.logSoftmaxRows(sd, sd.concat(1, xy, xx), B, 2 * B); // (B,2B)
        return SameDiffLosses.crossEntropyDiag(sd, logp, B, 2 * B);
    }
}
