package aclip4j.ema;

import aclip4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The EMA teacher update (SPEC §7): {@code θe ← m·θe + (1−m)·θ}, elementwise and in place on the teacher.
 *
 * <p>Shapes: {@code teacher} and {@code student} are flat {@code [P]} float32 arrays of equal length (any parameter
 * tensor flattened row-major). Arithmetic, in float32: {@code m} and {@code 1−m} are each computed in double and
 * rounded to float32 ({@link #keep(double)}, {@link #take(double)}); the products {@code θe·m} and
 * {@code θ·(1−m)} are rounded separately and then added, with no fused multiply-add, so every implementation and
 * every lane width gives the same bits. {@code m = 1} leaves the teacher unchanged; {@code m = 0} copies the
 * student.
 *
 * <p>Golden component {@code ema_update} (goldens/README.md).
 */
public interface EmaUpdate {

    /** {@code teacher[P] ← m·teacher + (1−m)·student}, in place; {@code student[P]} is only read. */
    void update(float[] teacher, float[] student, double momentum);

    /**
     * Updates every teacher tensor from the student tensor of the same name, in place (SPEC §7: vision tower,
     * text blocks, projections, BYOL projector). Both maps must hold the same names with F32 tensors of equal
     * shapes; nothing is written unless all of them match.
     */
    default void updateAll(Map<String, Tensor> teacher, Map<String, Tensor> student, double momentum) {
        checkMomentum(momentum);
        if (!teacher.keySet().equals(student.keySet())) {
            throw new IllegalArgumentException("EMA teacher and student hold different parameters: teacher "
                    + teacher.keySet() + ", student " + student.keySet());
        }
        for (Map.Entry<String, Tensor> e : teacher.entrySet()) {
            Tensor t = e.getValue();
            Tensor s = student.get(e.getKey());
            if (!Arrays.equals(t.shape(), s.shape())) {
                throw new IllegalArgumentException("EMA parameter '" + e.getKey() + "': teacher shape "
                        + Arrays.toString(t.shape()) + " but student shape " + Arrays.toString(s.shape()));
            }
            t.floats(); // refuses non-F32 before anything is written
            s.floats();
        }
        for (Map.Entry<String, Tensor> e : teacher.entrySet()) {
            update(e.getValue().floats(), student.get(e.getKey()).floats(), momentum);
        }
    }

    /** Updates {@code teacher.get(i)} from {@code student.get(i)} for every i, in place. */
    default void updateAll(List<float[]> teacher, List<float[]> student, double momentum) {
        checkMomentum(momentum);
        if (teacher.size() != student.size()) {
            throw new IllegalArgumentException("EMA update of " + teacher.size() + " teacher tensors from "
                    + student.size() + " student tensors, expected equal counts");
        }
        for (int i = 0; i < teacher.size(); i++) {
            checkLengths(teacher.get(i), student.get(i));
        }
        for (int i = 0; i < teacher.size(); i++) {
            update(teacher.get(i), student.get(i), momentum);
        }
    }

    /** {@code m} rounded to float32: the factor on the teacher. */
    static float keep(double momentum) {
        return (float) momentum;
    }

    /** {@code 1 − m} computed in double, then rounded to float32: the factor on the student. */
    static float take(double momentum) {
        return (float) (1.0 - momentum);
    }

    /** Refuses a momentum outside {@code [0, 1]} or NaN. */
    static void checkMomentum(double momentum) {
        if (!(momentum >= 0.0 && momentum <= 1.0)) {
            throw new IllegalArgumentException("EMA momentum " + momentum + " is outside [0, 1]");
        }
    }

    /** Refuses teacher and student arrays of different lengths. */
    static void checkLengths(float[] teacher, float[] student) {
        if (teacher.length != student.length) {
            throw new IllegalArgumentException("EMA teacher has " + teacher.length + " elements but student has "
                    + student.length + ", expected equal [P]");
        }
    }
}
