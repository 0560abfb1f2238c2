package aclip4j.ema;

import aclip4j.kernel.Lanes;
import aclip4j.kernel.Vec;

/**
 * {@link EmaUpdate} in plain Java with the Vector API (SPEC §7). Elementwise, so the vector loop and its scalar
 * twin give identical bits at every lane width: each lane computes exactly what the scalar loop computes
 * ({@code mul}, {@code mul}, {@code add}; never {@code fma}): that is {@link Vec#combine}, whose scalar loop
 * {@link Vec#combineScalar} is the specification. Java float arithmetic never contracts {@code a*b + c*d} into a
 * fused multiply-add.
 */
public final class SimdEmaUpdate implements EmaUpdate {
    private final Lanes lanes;

    public SimdEmaUpdate() {
        this(Lanes.preferred());
    }

    public SimdEmaUpdate(Lanes lanes) {
        this.lanes = lanes;
    }

    /** teacher (P) ← m·teacher + (1−m)·student; student (P). */
    @Override
    public void update(float[] teacher, float[] student, double momentum) {
        EmaUpdate.checkMomentum(momentum);
        EmaUpdate.checkLengths(teacher, student);
        float m = EmaUpdate.keep(momentum);
        float om = EmaUpdate.take(momentum);
        // teacher[i] = teacher[i] * m + student[i] * om, two rounded products then one rounded sum
        Vec.combine(lanes, teacher, 0, teacher, 0, m, student, 0, om, teacher.length);
    }

    public Lanes lanes() {
        return lanes;
    }
}
