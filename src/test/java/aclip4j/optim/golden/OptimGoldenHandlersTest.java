package aclip4j.optim.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import aclip4j.Backend;
import aclip4j.golden.GoldenCase;
import aclip4j.golden.Handlers;
import aclip4j.tensor.Tensor;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class OptimGoldenHandlersTest {

    private static GoldenCase golden(String component, JsonObject params, Map<String, Tensor> tensors) {
        return new GoldenCase(Path.of(component + ".safetensors"), component, params, Map.of(), "test", tensors);
    }

    private static JsonObject adamParams(double lr, double wd, int step) {
        JsonObject p = new JsonObject();
        p.addProperty("lr", lr);
        p.addProperty("beta1", 0.9);
        p.addProperty("beta2", 0.98);
        p.addProperty("eps", 1e-8);
        p.addProperty("weight_decay", wd);
        p.addProperty("step", step);
        return p;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void adamwStepAgainstAFloat64Computation(Backend backend) {
        float[] param = {0.5f, -1.5f, 2f, 0f, 0.25f};
        float[] grad = {0.1f, -0.2f, 0f, 3f, -0.05f};
        float[] m = {0.01f, 0.02f, -0.03f, 0f, 0.004f};
        float[] v = {1e-4f, 2e-3f, 5e-4f, 0f, 1e-5f};
        double lr = 1e-3;
        double wd = 0.1;
        int step = 7;
        GoldenCase c = golden("adamw_step", adamParams(lr, wd, step), Map.of(
                "in.param", Tensor.f32(param.clone(), 5), "in.grad", Tensor.f32(grad, 5),
                "in.exp_avg", Tensor.f32(m.clone(), 5), "in.exp_avg_sq", Tensor.f32(v.clone(), 5)));
        Map<String, Tensor> out = Handlers.all().get("adamw_step").compute(c, backend);
        for (int i = 0; i < 5; i++) {
            double mNew = 0.9 * m[i] + 0.1 * grad[i];
            double vNew = 0.98 * v[i] + 0.02 * grad[i] * grad[i];
            double mHat = mNew / (1 - Math.pow(0.9, step));
            double vHat = vNew / (1 - Math.pow(0.98, step));
            double pNew = param[i] * (1 - lr * wd) - lr * mHat / (Math.sqrt(vHat) + 1e-8);
            assertEquals(mNew, out.get("out.exp_avg").floats()[i], 1e-7 * (0.9 * Math.abs(m[i]) + 0.1 * Math.abs(grad[i])) + 1e-12, "exp_avg " + i);
            assertEquals(vNew, out.get("out.exp_avg_sq").floats()[i], 1e-6 * vNew + 1e-12, "exp_avg_sq " + i);
            assertEquals(pNew, out.get("out.param").floats()[i], 1e-7, "param " + i);
        }
        assertArrayEquals(new float[] {0.5f, -1.5f, 2f, 0f, 0.25f}, c.input("param").floats(), "input untouched");
        assertArrayEquals(new float[] {0.01f, 0.02f, -0.03f, 0f, 0.004f}, c.input("exp_avg").floats());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void adamwStepRefusesMismatchedShapes(Backend backend) {
        GoldenCase c = golden("adamw_step", adamParams(1e-3, 0, 1), Map.of(
                "in.param", Tensor.f32(new float[3], 3), "in.grad", Tensor.f32(new float[3], 3),
                "in.exp_avg", Tensor.f32(new float[2], 2), "in.exp_avg_sq", Tensor.f32(new float[3], 3)));
        assertThrows(IllegalArgumentException.class, () -> Handlers.all().get("adamw_step").compute(c, backend));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void lrSchedule(Backend backend) {
        JsonObject p = new JsonObject();
        p.addProperty("lr", 1e-3);
        p.addProperty("lr_start", 1e-4);
        p.addProperty("lr_end", 1e-5);
        p.addProperty("warmup_steps", 4);
        p.addProperty("total_steps", 6);
        Tensor lr = Handlers.all().get("lr_schedule").compute(golden("lr_schedule", p, Map.of()), backend)
                .get("out.lr");
        assertArrayEquals(new int[] {6}, lr.shape());
        // warm-up 1e-4, 4e-4, 7e-4, 1e-3; cosine over Tc = 2: cos(0) = 1, cos(π/2) = 0
        assertArrayEquals(new double[] {1e-4, 4e-4, 7e-4, 1e-3, 1e-3, (1e-3 + 1e-5) / 2}, lr.doubles(), 1e-18);
    }
}
