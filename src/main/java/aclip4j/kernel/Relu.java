package aclip4j.kernel;

import static aclip4j.kernel.Lanes.LENGTH;
import static aclip4j.kernel.Lanes.SPECIES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * ReLU of the SSL heads (SPEC §6). Shapes: all (N). The gradient at exactly 0 is 0, as PyTorch; a NaN input stays
 * NaN ({@code Math.max} semantics, as {@code torch.relu}).
 *
 * <p>Element-wise, so following docs/SPEC.md §13 the vector loop (written once, over {@link Lanes#SPECIES}) and the
 * scalar tail apply the same operation to each element, and every lane width gives the bits of the scalar
 * specification.
 */
public final class Relu {
    private Relu() {}

    /** out (N) = max(inp, 0). */
    public static void reluForward(Lanes lanes, float[] out, float[] inp, int N) {
        int i = 0;
        if (!lanes.scalar()) {
            for (int bound = SPECIES.loopBound(N); i < bound; i += LENGTH) {
                FloatVector.fromArray(SPECIES, inp, i).max(0f).intoArray(out, i);       // out = max(x, 0)
            }
        }
        for (; i < N; i++) {
            out[i] = Math.max(inp[i], 0f);
        }
    }

    /** The specification of {@link #reluForward}. */
    public static void reluForwardScalar(float[] out, float[] inp, int N) {
        reluForward(Lanes.SCALAR, out, inp, N);
    }

    /** dinp (N) += dout where inp > 0. */
    public static void reluBackward(Lanes lanes, float[] dinp, float[] inp, float[] dout, int N) {
        int i = 0;
        if (!lanes.scalar()) {
            for (int bound = SPECIES.loopBound(N); i < bound; i += LENGTH) {
                VectorMask<Float> on = FloatVector.fromArray(SPECIES, inp, i).compare(VectorOperators.GT, 0f);
                // if (x > 0) dinp += dout. A blend, not the masked add(v, m): JDK 17 runs that one in Java,
                // allocating a vector object per call in every step
                FloatVector d = FloatVector.fromArray(SPECIES, dinp, i);
                d.blend(d.add(FloatVector.fromArray(SPECIES, dout, i)), on).intoArray(dinp, i);
            }
        }
        for (; i < N; i++) {
            if (inp[i] > 0f) {
                dinp[i] += dout[i];
            }
        }
    }

    /** The specification of {@link #reluBackward}. */
    public static void reluBackwardScalar(float[] dinp, float[] inp, float[] dout, int N) {
        reluBackward(Lanes.SCALAR, dinp, inp, dout, N);
    }
}
