package aclip4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * CLIP's QuickGELU (SPEC §2): {@code x * sigmoid(1.702 x)}. Shapes: inp, out, dinp, dout (N).
 */
public final class QuickGelu {
    private QuickGelu() {}

    private static final float K = 1.702f;

    /** out (N) = x sigmoid(1.702 x). */
    public static void quickGeluForward(Lanes lanes, float[] out, float[] inp, int N) {
        if (lanes.scalar()) {
            quickGeluForwardScalar(out, inp, N);
            return;
        }
        VectorSpecies<Float> sp = lanes.species();
        int bound = sp.loopBound(N), i = 0;
        for (; i < bound; i += sp.length()) {
            FloatVector x = FloatVector.fromArray(sp, inp, i);
            x.mul(sigmoid(x)).intoArray(out, i);
        }
        for (; i < N; i++) {
            out[i] = inp[i] * sigmoid(inp[i]);
        }
    }

    /** The specification of {@link #quickGeluForward}. */
    public static void quickGeluForwardScalar(float[] out, float[] inp, int N) {
        for (int i = 0; i < N; i++) {
            out[i] = inp[i] * sigmoid(inp[i]);
        }
    }

    /** dinp (N) += dout * (s + 1.702 x s (1 - s)), s = sigmoid(1.702 x). */
    public static void quickGeluBackward(Lanes lanes, float[] dinp, float[] inp, float[] dout, int N) {
        if (lanes.scalar()) {
            quickGeluBackwardScalar(dinp, inp, dout, N);
            return;
        }
        VectorSpecies<Float> sp = lanes.species();
        int bound = sp.loopBound(N), i = 0;
        for (; i < bound; i += sp.length()) {
            FloatVector x = FloatVector.fromArray(sp, inp, i);
            FloatVector s = sigmoid(x);
            // local = s + 1.702 x s (1 - s)
            FloatVector local = x.mul(K).mul(s).mul(s.neg().add(1f)).add(s);
            FloatVector.fromArray(sp, dout, i).fma(local, FloatVector.fromArray(sp, dinp, i)).intoArray(dinp, i);
        }
        for (; i < N; i++) {
            float s = sigmoid(inp[i]);
            dinp[i] += dout[i] * (K * inp[i] * s * (1f - s) + s);
        }
    }

    /** The specification of {@link #quickGeluBackward}. */
    public static void quickGeluBackwardScalar(float[] dinp, float[] inp, float[] dout, int N) {
        for (int i = 0; i < N; i++) {
            float s = sigmoid(inp[i]);
            dinp[i] += dout[i] * (K * inp[i] * s * (1f - s) + s);
        }
    }

    private static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-K * x)));
    }

    /** 1 / (1 + exp(-1.702 x)) lane-wise. */
    private static FloatVector sigmoid(FloatVector x) {
        return FloatVector.broadcast(x.species(), 1f).div(x.mul(-K).lanewise(VectorOperators.EXP).add(1f));
    }
}
