package aclip4j.optim.golden;

import aclip4j.twins.Twins;
import aclip4j.Backend;
import aclip4j.golden.ComponentHandler;
import aclip4j.golden.GoldenCase;
import aclip4j.tensor.Tensor;
import aclip4j.optim.AdamW;
import aclip4j.optim.AdamWScalars;
import java.util.Map;

/**
 * Golden {@code adamw_step} (SPEC §8): inputs {@code param}, {@code grad}, {@code exp_avg}, {@code exp_avg_sq}
 * F32 [P]; params {@code lr}, {@code beta1}, {@code beta2}, {@code eps}, {@code weight_decay}, {@code step}
 * (1-based); outputs the three updated tensors. The weight decay is applied as given (no grouping).
 */
public final class AdamWStepHandler implements ComponentHandler {
    @Override
    public String component() {
        return "adamw_step";
    }

    @Override
    public Map<String, Tensor> compute(GoldenCase golden, Backend backend) {
        Tensor param = golden.input("param").requireRank("in.param", 1);
        int p = param.dim(0);
        float[] grad = golden.input("grad").requireShape("in.grad", p).floats();
        float[] expAvg = golden.input("exp_avg").requireShape("in.exp_avg", p).floats().clone();
        float[] expAvgSq = golden.input("exp_avg_sq").requireShape("in.exp_avg_sq", p).floats().clone();
        float[] out = param.floats().clone();
        AdamWScalars scalars = AdamWScalars.of(golden.paramDouble("lr"), golden.paramDouble("beta1"),
                golden.paramDouble("beta2"), golden.paramDouble("eps"), golden.paramDouble("weight_decay"),
                golden.paramInt("step"));
        AdamW adamW = Twins.of(backend).adamW();
        adamW.step(out, grad, expAvg, expAvgSq, scalars);
        return Map.of("out.param", Tensor.f32(out, p), "out.exp_avg", Tensor.f32(expAvg, p),
                "out.exp_avg_sq", Tensor.f32(expAvgSq, p));
    }
}
