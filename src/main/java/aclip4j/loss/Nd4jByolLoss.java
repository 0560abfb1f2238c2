package aclip4j.loss;

import aclip4j.nd.Nd;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link ByolLoss} with ND4J: SPEC §6 as a SameDiff graph, gradients by autodiff. The target enters as a
 * constant tiled V times along the rows, matching the view-major layout of {@code pred}.
 */
public final class Nd4jByolLoss implements ByolLoss {
    @Override
    public LossPass<float[]> forward(float[] pred, float[] target, int V, int B, int D) {
        ByolLoss.validate(pred, target, V, B, D);

        SameDiff sd = SameDiff.create();
        SDVariable loss = define(sd, sd.var("pred", Nd.f32(pred, V * B, D)),
                sd.constant(Nd4j.tile(Nd.f32(target, B, D), V, 1)), V, B, D, "loss");

        OutAndGrad result = SameDiffLosses.run(sd, loss, List.of("loss"), "pred");
        Map<String, INDArray> grads = result.getGradients();
        float lossValue = result.getOutputs().get("loss").getFloat(0);
        INDArray g = grads.get("pred");
        return new LossPass<>() {
            @Override
            public float loss() {
                return lossValue;
            }

            @Override
            public float[] backward(float dLoss) {
                return Nd.floats(g.mul(dLoss));
            }
        };
    }

    /**
     * BYOL (§6) in {@code sd}: {@code mean(2 - 2 cos(pred, target))} over the {@code V*B} rows, {@code target}
     * already tiled to the view-major {@code [V*B,D]} and free of gradient, named {@code name}. Shared with the
     * resident training engine ({@code aclip4j.train.nd4j}).
     */
    public static SDVariable define(SameDiff sd, SDVariable pred, SDVariable tiledTarget, int V, int B, int D,
                                    String name) {
        SDVariable pn = SameDiffLosses.normalizeRows(sd, pred, V * B, D);
        SDVariable tn = SameDiffLosses.normalizeRows(sd, tiledTarget, V * B, D);
        SDVariable cos = SameDiffLosses.sumRows(sd, pn.mul(tn), D, false);                   // (V*B)
        return sd.mean(name, cos.mul(-2.0).add(2.0));
    }
}
