package aclip4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * ReLU of the SSL heads (SPEC §6). Shapes: all (N). The gradient at exactly 0 is 0, as PyTorch.
 * The vector loops exist once per width (C2 needs the species as a constant, see {@link Vec}); every width gives
 * the scalar bits.
 */
public final class Relu {
    private Relu() {}

    /** out (N) = max(inp, 0). */
    public static void reluForward(Lanes lanes, float[] out, float[] inp, int N) {
        switch (lanes.bits()) {
            case 512 -> forward512(out, inp, N);
            case 256 -> forward256(out, inp, N);
            case 128 -> forward128(out, inp, N);
            default -> reluForwardScalar(out, inp, N);
        }
    }

    /** The specification of {@link #reluForward}. */
    public static void reluForwardScalar(float[] out, float[] inp, int N) {
        forwardTail(out, inp, 0, N);
    }

    private static void forwardTail(float[] out, float[] inp, int from, int N) {
        for (int i = from; i < N; i++) {
            out[i] = inp[i] > 0f ? inp[i] : 0f;
        }
    }

    /** dinp (N) += dout where inp > 0. */
    public static void reluBackward(Lanes lanes, float[] dinp, float[] inp, float[] dout, int N) {
        switch (lanes.bits()) {
            case 512 -> backward512(dinp, inp, dout, N);
            case 256 -> backward256(dinp, inp, dout, N);
            case 128 -> backward128(dinp, inp, dout, N);
            default -> reluBackwardScalar(dinp, inp, dout, N);
        }
    }

    /** The specification of {@link #reluBackward}. */
    public static void reluBackwardScalar(float[] dinp, float[] inp, float[] dout, int N) {
        backwardTail(dinp, inp, dout, 0, N);
    }

    private static void backwardTail(float[] dinp, float[] inp, float[] dout, int from, int N) {
        for (int i = from; i < N; i++) {
            if (inp[i] > 0f) {
                dinp[i] += dout[i];
            }
        }
    }

    private static void forward512(float[] out, float[] inp, int N) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int i = 0;
        for (int bound = S.loopBound(N); i < bound; i += S.length()) {
            FloatVector.fromArray(S, inp, i).max(0f).intoArray(out, i);
        }
        forwardTail(out, inp, i, N);
    }

    private static void forward256(float[] out, float[] inp, int N) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int i = 0;
        for (int bound = S.loopBound(N); i < bound; i += S.length()) {
            FloatVector.fromArray(S, inp, i).max(0f).intoArray(out, i);
        }
        forwardTail(out, inp, i, N);
    }

    private static void forward128(float[] out, float[] inp, int N) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int i = 0;
        for (int bound = S.loopBound(N); i < bound; i += S.length()) {
            FloatVector.fromArray(S, inp, i).max(0f).intoArray(out, i);
        }
        forwardTail(out, inp, i, N);
    }

    private static void backward512(float[] dinp, float[] inp, float[] dout, int N) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int i = 0;
        for (int bound = S.loopBound(N); i < bound; i += S.length()) {
            VectorMask<Float> on = FloatVector.fromArray(S, inp, i).compare(VectorOperators.GT, 0f);
            // dinp += inp > 0 ? dout : 0
            FloatVector.fromArray(S, dinp, i).add(FloatVector.fromArray(S, dout, i), on).intoArray(dinp, i);
        }
        backwardTail(dinp, inp, dout, i, N);
    }

    private static void backward256(float[] dinp, float[] inp, float[] dout, int N) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int i = 0;
        for (int bound = S.loopBound(N); i < bound; i += S.length()) {
            VectorMask<Float> on = FloatVector.fromArray(S, inp, i).compare(VectorOperators.GT, 0f);
            FloatVector.fromArray(S, dinp, i).add(FloatVector.fromArray(S, dout, i), on).intoArray(dinp, i);
        }
        backwardTail(dinp, inp, dout, i, N);
    }

    private static void backward128(float[] dinp, float[] inp, float[] dout, int N) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int i = 0;
        for (int bound = S.loopBound(N); i < bound; i += S.length()) {
            VectorMask<Float> on = FloatVector.fromArray(S, inp, i).compare(VectorOperators.GT, 0f);
            FloatVector.fromArray(S, dinp, i).add(FloatVector.fromArray(S, dout, i), on).intoArray(dinp, i);
        }
        backwardTail(dinp, inp, dout, i, N);
    }
}
