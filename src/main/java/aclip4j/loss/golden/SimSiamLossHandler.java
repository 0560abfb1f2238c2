package aclip4j.loss.golden;

import aclip4j.twins.Twins;
import aclip4j.Backend;
import aclip4j.golden.ComponentHandler;
import aclip4j.golden.GoldenCase;
import aclip4j.tensor.Tensor;
import aclip4j.loss.LossPass;
import aclip4j.loss.SimSiamLoss;
import aclip4j.loss.ViewPairGrads;
import java.util.LinkedHashMap;
import java.util.Map;

/** Golden component {@code simsiam_loss} (goldens/README.md, SPEC §6); the z inputs are stop-gradient. */
public final class SimSiamLossHandler implements ComponentHandler {
    @Override
    public String component() {
        return "simsiam_loss";
    }

    @Override
    public Map<String, Tensor> compute(GoldenCase golden, Backend backend) {
        Tensor p1 = golden.input("p1").requireRank("in.p1", 2);
        int B = p1.dim(0);
        int D = p1.dim(1);
        Tensor p2 = golden.input("p2").requireShape("in.p2", B, D);
        Tensor z1 = golden.input("z1").requireShape("in.z1", B, D);
        Tensor z2 = golden.input("z2").requireShape("in.z2", B, D);
        SimSiamLoss impl = Twins.of(backend).simsiamLoss();
        LossPass<ViewPairGrads> pass =
                impl.forward(p1.toFloats(), p2.toFloats(), z1.toFloats(), z2.toFloats(), B, D);
        ViewPairGrads g = pass.backward(1f);
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("out.loss", Tensor.scalar(pass.loss()));
        out.put("out.grad_p1", Tensor.f32(g.first(), B, D));
        out.put("out.grad_p2", Tensor.f32(g.second(), B, D));
        return out;
    }
}
