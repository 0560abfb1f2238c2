package aclip4j.loss;

import aclip4j.nd.Nd;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link SimSiamLoss} with ND4J: SPEC §6 as a SameDiff graph, gradients by autodiff. The {@code z} enter as
 * constants, which is what stop-gradient means here.
 */
public final class Nd4jSimSiamLoss implements SimSiamLoss {
    @Override
    public LossPass<ViewPairGrads> forward(float[] p1, float[] p2, float[] z1, float[] z2, int B, int D) {
        SimSiamLoss.validate(p1, p2, z1, z2, B, D);

        SameDiff sd = SameDiff.create();
        SDVariable loss = define(sd, sd.var("p1", Nd.f32(p1, B, D)), sd.var("p2", Nd.f32(p2, B, D)),
                sd.constant(Nd.f32(z1, B, D)), sd.constant(Nd.f32(z2, B, D)), B, D, "loss");

        OutAndGrad result = SameDiffLosses.run(sd, loss, List.of("loss"), "p1", "p2");
        Map<String, INDArray> grads = result.getGradients();
        float lossValue = result.getOutputs().get("loss").getFloat(0);
        INDArray g1 = grads.get("p1");
        INDArray g2 = grads.get("p2");
        return new LossPass<>() {
            @Override
            public float loss() {
                return lossValue;
            }

            @Override
            public ViewPairGrads backward(float dLoss) {
                return new ViewPairGrads(Nd.floats(g1.mul(dLoss)), Nd.floats(g2.mul(dLoss)));
            }
        };
    }

    /**
     * SimSiam (§6) in {@code sd}: {@code (D(p1, z2) + D(p2, z1)) / 2} with {@code D} the negative mean cosine, named
     * {@code name}. The caller makes {@code z1, z2} stop-gradient (constants here, a StopGradient op in the resident
     * training engine, {@code aclip4j.train.nd4j}).
     */
    public static SDVariable define(SameDiff sd, SDVariable p1, SDVariable p2, SDVariable z1, SDVariable z2, int B,
                                    int D, String name) {
        SDVariable p1n = SameDiffLosses.normalizeRows(sd, p1, B, D);
        SDVariable p2n = SameDiffLosses.normalizeRows(sd, p2, B, D);
        SDVariable z1n = SameDiffLosses.normalizeRows(sd, z1, B, D);
        SDVariable z2n = SameDiffLosses.normalizeRows(sd, z2, B, D);
        SDVariable d12 = sd.mean(SameDiffLosses.sumRows(sd, p1n.mul(z2n), D, false)).neg(); // D(p1, z2)
        SDVariable d21 = sd.mean(SameDiffLosses.sumRows(sd, p2n.mul(z1n), D, false)).neg(); // D(p2, z1)
        return d12.add(d21).div(name, 2.0);
    }
}
