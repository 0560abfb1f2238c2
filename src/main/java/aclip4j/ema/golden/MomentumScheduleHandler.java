package aclip4j.ema.golden;

import aclip4j.Backend;
import aclip4j.ema.MomentumSchedule;
import aclip4j.golden.ComponentHandler;
import aclip4j.golden.GoldenCase;
import aclip4j.tensor.Tensor;
import java.util.Map;

/**
 * Golden {@code momentum_schedule} (SPEC §7): params {@code m0}, {@code steps}; output {@code momentum} F64
 * [steps]. Scalar arithmetic with one implementation, so both backends run the same code.
 */
public final class MomentumScheduleHandler implements ComponentHandler {
    @Override
    public String component() {
        return "momentum_schedule";
    }

    @Override
    public Map<String, Tensor> compute(GoldenCase golden, Backend backend) {
        int steps = golden.paramInt("steps");
        double[] m = MomentumSchedule.schedule(golden.paramDouble("m0"), steps);
        return Map.of("out.momentum", Tensor.f64(m, steps));
    }
}
