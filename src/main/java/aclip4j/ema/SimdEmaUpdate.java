package aclip4j.ema;

import aclip4j.kernel.Lanes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link EmaUpdate} in plain Java with the Vector API (SPEC §7). Elementwise, so the vector loop and its scalar
 * twin give identical bits at every lane width: each lane computes exactly what the scalar loop computes
 * ({@code mul}, {@code mul}, {@code add}; never {@code fma}).
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
        int n = teacher.length;
        int i = 0;
        if (!lanes.scalar()) {
            VectorSpecies<Float> species = lanes.species();
            FloatVector vm = FloatVector.broadcast(species, m);
            FloatVector vom = FloatVector.broadcast(species, om);
            for (int upper = lanes.loopBound(n); i < upper; i += species.length()) {
                FloatVector t = FloatVector.fromArray(species, teacher, i);
                FloatVector s = FloatVector.fromArray(species, student, i);
                // teacher[i] = teacher[i] * m + student[i] * om, two rounded products then one rounded sum
                t.mul(vm).add(s.mul(vom)).intoArray(teacher, i);
            }
        }
        updateScalar(teacher, student, m, om, i, n);
    }

    /**
     * The specification of the vector loop: teacher[i] = teacher[i]·m + student[i]·om for i in [from, to).
     * Java float arithmetic never contracts {@code a*b + c*d} into a fused multiply-add.
     */
    static void updateScalar(float[] teacher, float[] student, float m, float om, int from, int to) {
        for (int i = from; i < to; i++) {
            teacher[i] = teacher[i] * m + student[i] * om;
        }
    }

    public Lanes lanes() {
        return lanes;
    }
}
