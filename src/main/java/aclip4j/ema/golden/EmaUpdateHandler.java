package aclip4j.ema.golden;

import aclip4j.twins.Twins;
import aclip4j.Backend;
import aclip4j.ema.EmaUpdate;
import aclip4j.golden.ComponentHandler;
import aclip4j.golden.GoldenCase;
import aclip4j.tensor.Tensor;
import java.util.Map;

/** Golden {@code ema_update} (SPEC §7): inputs {@code teacher}, {@code student} F32 [P]; param {@code momentum}. */
public final class EmaUpdateHandler implements ComponentHandler {
    @Override
    public String component() {
        return "ema_update";
    }

    @Override
    public Map<String, Tensor> compute(GoldenCase golden, Backend backend) {
        Tensor teacher = golden.input("teacher").requireRank("in.teacher", 1);
        int p = teacher.dim(0);
        Tensor student = golden.input("student").requireShape("in.student", p);
        double momentum = golden.paramDouble("momentum");
        EmaUpdate ema = Twins.of(backend).emaUpdate();
        float[] out = teacher.floats().clone(); // the case's input stays as read
        ema.update(out, student.floats(), momentum);
        return Map.of("out.teacher", Tensor.f32(out, p));
    }
}
