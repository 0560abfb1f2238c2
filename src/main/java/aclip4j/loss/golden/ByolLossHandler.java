package aclip4j.loss.golden;

import aclip4j.twins.Twins;
import aclip4j.Backend;
import aclip4j.golden.ComponentHandler;
import aclip4j.golden.GoldenCase;
import aclip4j.tensor.Tensor;
import aclip4j.loss.ByolLoss;
import aclip4j.loss.LossChecks;
import aclip4j.loss.LossPass;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Golden component {@code byol_loss} (goldens/README.md, SPEC §6); the target is stop-gradient. */
public final class ByolLossHandler implements ComponentHandler {
    @Override
    public String component() {
        return "byol_loss";
    }

    @Override
    public Map<String, Tensor> compute(GoldenCase golden, Backend backend) {
        Tensor target = golden.input("target").requireRank("in.target", 2);
        int B = target.dim(0);
        int D = target.dim(1);
        Tensor pred = golden.input("pred").requireRank("in.pred", 2);
        if (pred.dim(1) != D) {
            throw new IllegalArgumentException("in.pred has shape " + Arrays.toString(pred.shape())
                    + ", expected [V*B," + D + "] to match in.target's D = " + D);
        }
        int V = LossChecks.viewsOf("in.pred", pred.dim(0), B);
        ByolLoss impl = Twins.of(backend).byolLoss();
        LossPass<float[]> pass = impl.forward(pred.toFloats(), target.toFloats(), V, B, D);
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("out.loss", Tensor.scalar(pass.loss()));
        out.put("out.grad_pred", Tensor.f32(pass.backward(1f), V * B, D));
        return out;
    }
}
