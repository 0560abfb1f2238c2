package aclip4j.ema;

import aclip4j.nd.Nd;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link EmaUpdate} with ND4J ops (SPEC §7): two scalar multiplications and one addition, each a separate op, so
 * no multiply-add can be fused and the result matches {@link SimdEmaUpdate} bit for bit.
 */
public final class Nd4jEmaUpdate implements EmaUpdate {

    /** teacher (P) ← m·teacher + (1−m)·student; student (P). */
    @Override
    public void update(float[] teacher, float[] student, double momentum) {
        EmaUpdate.checkMomentum(momentum);
        EmaUpdate.checkLengths(teacher, student);
        if (teacher.length == 0) {
            return;
        }
        INDArray t = Nd.f32(teacher, teacher.length);
        update(t, Nd.f32(student, student.length), momentum);
        System.arraycopy(Nd.floats(t), 0, teacher, 0, teacher.length);
    }

    /** The same update on ND4J-resident float32 arrays of equal shape, in place on {@code teacher}. */
    public void update(INDArray teacher, INDArray student, double momentum) {
        EmaUpdate.checkMomentum(momentum);
        if (!teacher.equalShapes(student)) {
            throw new IllegalArgumentException("EMA teacher shape " + java.util.Arrays.toString(teacher.shape())
                    + " but student shape " + java.util.Arrays.toString(student.shape()));
        }
        if (teacher.dataType() != DataType.FLOAT || student.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("EMA update needs float32 arrays, got teacher "
                    + teacher.dataType() + " and student " + student.dataType());
        }
        // float32 scalars, as the golden arithmetic rounds them (SPEC §7)
        INDArray scaledStudent = student.mul(EmaUpdate.take(momentum));
        teacher.muli(EmaUpdate.keep(momentum)).addi(scaledStudent);
    }
}
