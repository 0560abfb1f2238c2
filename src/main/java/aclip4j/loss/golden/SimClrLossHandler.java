package aclip4j.loss.golden;

import aclip4j.twins.Twins;
import aclip4j.Backend;
import aclip4j.golden.ComponentHandler;
import aclip4j.golden.GoldenCase;
import aclip4j.tensor.Tensor;
import aclip4j.loss.LossPass;
import aclip4j.loss.SimClrLoss;
import aclip4j.loss.ViewPairGrads;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Golden component {@code simclr_loss} (goldens/README.md, SPEC §6). Params: {@code temperature} (required) and
 * {@code same_view} (optional, default false: the official code's view-1-twice bug, option simclrSameView).
 */
public final class SimClrLossHandler implements ComponentHandler {
    @Override
    public String component() {
        return "simclr_loss";
    }

    @Override
    public Map<String, Tensor> compute(GoldenCase golden, Backend backend) {
        Tensor a = golden.input("a").requireRank("in.a", 2);
        int B = a.dim(0);
        int D = a.dim(1);
        Tensor b = golden.input("b").requireShape("in.b", B, D);
        double temperature = golden.paramDouble("temperature");
        boolean sameView = golden.paramBool("same_view", false);
        SimClrLoss impl = Twins.of(backend).simclrLoss();
        LossPass<ViewPairGrads> pass = impl.forward(a.toFloats(), b.toFloats(), B, D, temperature, sameView);
        ViewPairGrads g = pass.backward(1f);
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("out.loss", Tensor.scalar(pass.loss()));
        out.put("out.grad_a", Tensor.f32(g.first(), B, D));
        out.put("out.grad_b", Tensor.f32(g.second(), B, D));
        return out;
    }
}
