package aclip4j.ema.golden;

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

class EmaGoldenHandlersTest {

    private static GoldenCase golden(String component, JsonObject params, Map<String, Tensor> tensors) {
        return new GoldenCase(Path.of(component + ".safetensors"), component, params, Map.of(), "test", tensors);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void emaUpdate(Backend backend) {
        JsonObject params = new JsonObject();
        params.addProperty("momentum", 0.75);
        float[] teacher = {4f, -4f, 1f, 0f, 8f};
        GoldenCase c = golden("ema_update", params, Map.of(
                "in.teacher", Tensor.f32(teacher, 5),
                "in.student", Tensor.f32(new float[] {0f, 4f, 1f, 2f, 0f}, 5)));
        Map<String, Tensor> out = Handlers.all().get("ema_update").compute(c, backend);
        // 0.75 and 0.25 are exact in float32, so each value is exact
        assertArrayEquals(new float[] {3f, -2f, 1f, 0.5f, 6f}, out.get("out.teacher").floats());
        assertArrayEquals(new int[] {5}, out.get("out.teacher").shape());
        assertArrayEquals(new float[] {4f, -4f, 1f, 0f, 8f}, teacher, "the case's input is left alone");
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void emaUpdateRefusesMismatchedShapes(Backend backend) {
        JsonObject params = new JsonObject();
        params.addProperty("momentum", 0.5);
        GoldenCase c = golden("ema_update", params, Map.of(
                "in.teacher", Tensor.f32(new float[3], 3), "in.student", Tensor.f32(new float[4], 4)));
        assertThrows(IllegalArgumentException.class,
                () -> Handlers.all().get("ema_update").compute(c, backend));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void momentumSchedule(Backend backend) {
        JsonObject params = new JsonObject();
        params.addProperty("m0", 0.99);
        params.addProperty("steps", 4);
        Tensor m = Handlers.all().get("momentum_schedule").compute(golden("momentum_schedule", params, Map.of()),
                backend).get("out.momentum");
        assertArrayEquals(new int[] {4}, m.shape());
        // cos(0)=1, cos(π/4)=√2/2, cos(π/2)=0, cos(3π/4)=−√2/2
        double r = Math.sqrt(2) / 2;
        assertArrayEquals(new double[] {0.99, 1 - 0.01 * (1 + r) / 2, 0.995, 1 - 0.01 * (1 - r) / 2},
                m.doubles(), 1e-15);
    }
}
