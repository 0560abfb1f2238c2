package aclip4j.ema;

import aclip4j.kernel.Lanes;
import aclip4j.kernel.Parallel;
import aclip4j.kernel.Vec;

/**
 * {@link EmaUpdate} in plain Java with the Vector API (SPEC §7). Element-wise, so docs/SPEC.md §13.1 applies: per
 * element {@code θe ← θe·m + θ·(1−m)}, the two products rounded on their own and then one rounded add, never a
 * fused multiply-add (a fused update would give other bits on some inputs). That is {@link Vec#combine}: one
 * vector loop over {@code Lanes.SPECIES} ({@code mul}, {@code mul}, {@code add}) and a scalar tail doing the same
 * three operations, which is the specification; Java never contracts {@code a*b + c*d} into an fma. So the scalar
 * loops and every lane width give the same bits.
 */
public final class SimdEmaUpdate implements EmaUpdate {
    /** Elements per {@link Parallel} task. */
    static final int CHUNK = 1 << 16;

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
        // teacher[i] = teacher[i] * m + student[i] * om, two rounded products then one rounded sum; element-wise,
        // so cutting the arrays into ranges for both cores changes no bit
        Parallel.forRanges(teacher.length, CHUNK,
                (from, to) -> Vec.combine(lanes, teacher, from, teacher, from, m, student, from, om, to - from));
    }

    public Lanes lanes() {
        return lanes;
    }
}
