package aclip4j.mask.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.Backend;
import aclip4j.golden.GoldenCase;
import aclip4j.golden.Handlers;
import aclip4j.tensor.Tensor;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BoxesHandlerTest {

    private static GoldenCase golden(String mode, Map<String, Tensor> tensors) {
        JsonObject params = new JsonObject();
        params.addProperty("mode", mode);
        return new GoldenCase(Path.of("enclosing_box.safetensors"), "enclosing_box", params, Map.of(), "test",
                tensors);
    }

    private static Map<String, Tensor> inputs(boolean withU) {
        Map<String, Tensor> t = new HashMap<>();
        // image 0 (300 x 400): views (10,20,100,50), (40,5,30,200); image 1 (64 x 48): views (8,4,20,30), (30,10,34,16)
        t.put("in.view_boxes", Tensor.i32(new int[] {10, 20, 100, 50, 40, 5, 30, 200, 8, 4, 20, 30, 30, 10, 34, 16},
                2, 2, 4));
        t.put("in.image_hw", Tensor.i32(new int[] {300, 400, 64, 48}, 2, 2));
        if (withU) {
            t.put("in.u", Tensor.f32(new float[] {0.5f, 0.5f, 0.5f, 0.5f, 0.25f, 0.75f, 0f, 0.999f}, 2, 4));
        }
        return t;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void randomMode(Backend backend) {
        Tensor box = Handlers.all().get("enclosing_box").compute(golden("random", inputs(true)), backend)
                .get("out.ema_box");
        assertArrayEquals(new int[] {2, 4}, box.shape());
        // image 1: U = (8, 4, bottom 64, right 34). top in [0, 8]: floor(0.25·9) = 2; left in [0, 4]:
        // floor(0.75·5) = 3; h in [62, 62] = 62; w in [31, 45]: 31 + floor(0.999·15) = 45
        assertArrayEquals(new int[] {5, 3, 200, 300, 2, 3, 62, 45}, box.ints());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void minimalModeIsTheUnionAndNeedsNoDraws(Backend backend) {
        Tensor box = Handlers.all().get("enclosing_box").compute(golden("minimal", inputs(false)), backend)
                .get("out.ema_box");
        assertArrayEquals(new int[] {10, 5, 100, 200, 8, 4, 56, 30}, box.ints());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void refusesMissingDrawsAndBoxesOutsideTheImage(Backend backend) {
        assertThrows(IllegalArgumentException.class,
                () -> Handlers.all().get("enclosing_box").compute(golden("random", inputs(false)), backend));
        Map<String, Tensor> t = inputs(true);
        t.put("in.image_hw", Tensor.i32(new int[] {300, 400, 60, 48}, 2, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Handlers.all().get("enclosing_box").compute(golden("random", t), backend));
        assertTrue(e.getMessage().contains("image 1") && e.getMessage().contains("60 x 48"), e.getMessage());
        Map<String, Tensor> w = inputs(true);
        w.put("in.u", Tensor.f32(new float[4], 1, 4));
        assertThrows(IllegalArgumentException.class,
                () -> Handlers.all().get("enclosing_box").compute(golden("random", w), backend));
    }
}
