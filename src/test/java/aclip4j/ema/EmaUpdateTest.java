package aclip4j.ema;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.tensor.Tensor;
import aclip4j.kernel.Lanes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class EmaUpdateTest {

    static List<EmaUpdate> implementations() {
        return List.of(new SimdEmaUpdate(Lanes.SCALAR), new SimdEmaUpdate(Lanes.preferred()), new Nd4jEmaUpdate());
    }

    @ParameterizedTest
    @MethodSource("implementations")
    void handCheckedValues(EmaUpdate ema) {
        // 0.5 and 1 - 0.5 are exact: 2*0.5 + 4*0.5 = 3; 1*m + 0 = float(m)
        float[] t = {2f, 1f, -8f};
        ema.update(t, new float[] {4f, 0f, 8f}, 0.5);
        assertArrayEquals(new float[] {3f, 0.5f, 0f}, t);
        float[] u = {1f};
        ema.update(u, new float[] {0f}, 0.996);
        assertEquals(0.996f, u[0]);
        // 1 - 0.996 rounded in double first, then to float: 0.004000000000000004 -> float
        float[] v = {0f};
        ema.update(v, new float[] {1f}, 0.996);
        assertEquals((float) (1.0 - 0.996), v[0]);
    }

    @ParameterizedTest
    @MethodSource("implementations")
    void momentumOneKeepsTheTeacherAndZeroCopiesTheStudent(EmaUpdate ema) {
        SplittableRandom rng = new SplittableRandom(7);
        float[] teacher = EmaUpdateProperties.randomFloats(rng, 37, 5.0);
        float[] student = EmaUpdateProperties.randomFloats(rng, 37, 5.0);
        float[] t = teacher.clone();
        ema.update(t, student, 1.0);
        assertArrayEquals(teacher, t);
        ema.update(t, student, 0.0);
        assertArrayEquals(student, t);
    }

    @ParameterizedTest
    @MethodSource("implementations")
    void updatesNamedTensorsInPlace(EmaUpdate ema) {
        Map<String, Tensor> teacher = new LinkedHashMap<>();
        Map<String, Tensor> student = new LinkedHashMap<>();
        teacher.put("blocks.0.attn.qkv.weight", Tensor.f32(new float[] {1, 2, 3, 4, 5, 6}, 3, 2));
        teacher.put("norm.bias", Tensor.f32(new float[] {10}, 1));
        student.put("blocks.0.attn.qkv.weight", Tensor.f32(new float[] {3, 4, 5, 6, 7, 8}, 3, 2));
        student.put("norm.bias", Tensor.f32(new float[] {20}, 1));
        float[] weight = teacher.get("blocks.0.attn.qkv.weight").floats();
        ema.updateAll(teacher, student, 0.75);
        assertArrayEquals(new float[] {1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f}, weight);
        assertArrayEquals(new float[] {12.5f}, teacher.get("norm.bias").floats());
    }

    @ParameterizedTest
    @MethodSource("implementations")
    void updatesListsInPlace(EmaUpdate ema) {
        float[] a = {4f, 8f};
        float[] b = {1f};
        ema.updateAll(List.of(a, b), List.of(new float[] {0f, 0f}, new float[] {3f}), 0.25);
        assertArrayEquals(new float[] {1f, 2f}, a);
        assertArrayEquals(new float[] {2.5f}, b);
    }

    @ParameterizedTest
    @MethodSource("implementations")
    void refusesBadInputWithoutWritingAnything(EmaUpdate ema) {
        float[] t = {1f, 2f};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ema.update(t, new float[] {1f, 2f}, 1.5));
        assertTrue(e.getMessage().contains("1.5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ema.update(t, new float[] {1f, 2f}, Double.NaN));
        e = assertThrows(IllegalArgumentException.class, () -> ema.update(t, new float[] {1f}, 0.5));
        assertTrue(e.getMessage().contains("2") && e.getMessage().contains("1"), e.getMessage());

        Map<String, Tensor> teacher = new LinkedHashMap<>();
        teacher.put("a", Tensor.f32(new float[] {1f}, 1));
        teacher.put("b", Tensor.f32(new float[] {1f, 1f}, 2));
        Map<String, Tensor> student = new LinkedHashMap<>();
        student.put("a", Tensor.f32(new float[] {3f}, 1));
        student.put("b", Tensor.f32(new float[] {3f, 3f}, 1, 2));
        e = assertThrows(IllegalArgumentException.class, () -> ema.updateAll(teacher, student, 0.5));
        assertTrue(e.getMessage().contains("'b'"), e.getMessage());
        assertArrayEquals(new float[] {1f}, teacher.get("a").floats(), "nothing written before the check");
        Map<String, Tensor> missing = Map.of("a", Tensor.f32(new float[] {3f}, 1));
        assertThrows(IllegalArgumentException.class, () -> ema.updateAll(teacher, missing, 0.5));
        assertThrows(IllegalArgumentException.class,
                () -> ema.updateAll(List.of(new float[1]), List.of(new float[1], new float[1]), 0.5));
    }
}
