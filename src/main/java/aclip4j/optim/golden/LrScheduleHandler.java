package aclip4j.optim.golden;

import aclip4j.Backend;
import aclip4j.golden.ComponentHandler;
import aclip4j.golden.GoldenCase;
import aclip4j.tensor.Tensor;
import aclip4j.optim.LrSchedule;
import java.util.Map;

/**
 * Golden {@code lr_schedule} (SPEC §8): params {@code lr}, {@code lr_start}, {@code lr_end},
 * {@code warmup_steps}, {@code total_steps}; output {@code lr} F64 [total_steps]. One scalar implementation.
 */
public final class LrScheduleHandler implements ComponentHandler {
    @Override
    public String component() {
        return "lr_schedule";
    }

    @Override
    public Map<String, Tensor> compute(GoldenCase golden, Backend backend) {
        int total = golden.paramInt("total_steps");
        double[] lr = LrSchedule.schedule(golden.paramDouble("lr"), golden.paramDouble("lr_start"),
                golden.paramDouble("lr_end"), golden.paramInt("warmup_steps"), total);
        return Map.of("out.lr", Tensor.f64(lr, total));
    }
}
