package aclip4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** ReLU of the SSL heads (SPEC §6). Shapes: all (N). The gradient at exactly 0 is 0, as PyTorch. */
public final class Relu {
    private Relu() {}

    /** out (N) = max(inp, 0). */
    public static void reluForward(Lanes lanes, float[] out, float[] inp, int N) {
        if (lanes.scalar()) {
            reluForwardScalar(out, inp, N);
            return;
        }
        VectorSpecies<Float> sp = lanes.species();
        int bound = sp.loopBound(N), i = 0;
        for (; i < bound; i += sp.length()) {
            FloatVector.fromArray(sp, inp, i).max(0f).intoArray(out, i);
        }
        for (; i < N; i++) {
            out[i] = inp[i] > 0f ? inp[i] : 0f;
        }
    }

    /** The specification of {@link #reluForward}. */
    public static void reluForwardScalar(float[] out, float[] inp, int N) {
        for (int i = 0; i < N; i++) {
            out[i] = inp[i] > 0f ? inp[i] : 0f;
        }
    }

    /** dinp (N) += dout where inp > 0. */
    public static void reluBackward(Lanes lanes, float[] dinp, float[] inp, float[] dout, int N) {
        if (lanes.scalar()) {
            reluBackwardScalar(dinp, inp, dout, N);
            return;
        }
        VectorSpecies<Float> sp = lanes.species();
        int bound = sp.loopBound(N), i = 0;
        for (; i < bound; i += sp.length()) {
            VectorMask<Float> on = FloatVector.fromArray(sp, inp, i).compare(VectorOperators.GT, 0f);
            FloatVector d = FloatVector.fromArray(sp, dinp, i);
            d.add(FloatVector.fromArray(sp, dout, i), on).intoArray(dinp, i); // dinp += inp > 0 ? dout : 0
        }
        for (; i < N; i++) {
            if (inp[i] > 0f) {
                dinp[i] += dout[i];
            }
        }
    }

    /** The specification of {@link #reluBackward}. */
    public static void reluBackwardScalar(float[] dinp, float[] inp, float[] dout, int N) {
        for (int i = 0; i < N; i++) {
            if (inp[i] > 0f) {
                dinp[i] += dout[i];
            }
        }
    }
}
