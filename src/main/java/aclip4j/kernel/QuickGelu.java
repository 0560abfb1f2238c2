package aclip4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * CLIP's QuickGELU (SPEC §2): {@code x * sigmoid(1.702 x)}. Shapes: inp, out, dinp, dout (N).
 * The scalar twin takes exp in double, the vector one {@link Vec#exp} in float. The vector loops exist once per
 * width ({@code forward512}, ...; read the 512 copy): C2 needs the species as a constant, see {@link Vec}.
 */
public final class QuickGelu {
    private QuickGelu() {}

    private static final float K = 1.702f;

    /** out (N) = x sigmoid(1.702 x). */
    public static void quickGeluForward(Lanes lanes, float[] out, float[] inp, int N) {
        switch (lanes.bits()) {
            case 512 -> forward512(out, inp, N);
            case 256 -> forward256(out, inp, N);
            case 128 -> forward128(out, inp, N);
            default -> quickGeluForwardScalar(out, inp, N);
        }
    }

    /** The specification of {@link #quickGeluForward}. */
    public static void quickGeluForwardScalar(float[] out, float[] inp, int N) {
        forwardTail(out, inp, 0, N);
    }

    private static void forwardTail(float[] out, float[] inp, int from, int N) {
        for (int i = from; i < N; i++) {
            out[i] = inp[i] * sigmoid(inp[i]);
        }
    }

    /** dinp (N) += dout * (s + 1.702 x s (1 - s)), s = sigmoid(1.702 x). */
    public static void quickGeluBackward(Lanes lanes, float[] dinp, float[] inp, float[] dout, int N) {
        switch (lanes.bits()) {
            case 512 -> backward512(dinp, inp, dout, N);
            case 256 -> backward256(dinp, inp, dout, N);
            case 128 -> backward128(dinp, inp, dout, N);
            default -> quickGeluBackwardScalar(dinp, inp, dout, N);
        }
    }

    /** The specification of {@link #quickGeluBackward}. */
    public static void quickGeluBackwardScalar(float[] dinp, float[] inp, float[] dout, int N) {
        backwardTail(dinp, inp, dout, 0, N);
    }

    private static void backwardTail(float[] dinp, float[] inp, float[] dout, int from, int N) {
        for (int i = from; i < N; i++) {
            float s = sigmoid(inp[i]);
            dinp[i] += dout[i] * (K * inp[i] * s * (1f - s) + s);
        }
    }

    private static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-K * x)));
    }

    /** 1 / (1 + exp(-1.702 x)) lane-wise. */
    private static FloatVector sigmoid(FloatVector x) {
        return x.broadcast(1f).div(Vec.exp(x.mul(-K)).add(1f));
    }

    /** s + 1.702 x s (1 - s) lane-wise, s = sigmoid(1.702 x): the local derivative. */
    private static FloatVector derivative(FloatVector x) {
        FloatVector s = sigmoid(x);
        return x.mul(K).mul(s).mul(s.neg().add(1f)).add(s);
    }

    // ---------------------------------------------------------------------------------------------------------
    // One copy per width of each vector loop; the scalar tail finishes the last N % lanes elements.

    private static void forward512(float[] out, float[] inp, int N) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int i = 0;
        for (int bound = S.loopBound(N); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, inp, i);
            x.mul(sigmoid(x)).intoArray(out, i);                                     // out = x sigmoid(1.702 x)
        }
        forwardTail(out, inp, i, N);
    }

    private static void forward256(float[] out, float[] inp, int N) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int i = 0;
        for (int bound = S.loopBound(N); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, inp, i);
            x.mul(sigmoid(x)).intoArray(out, i);
        }
        forwardTail(out, inp, i, N);
    }

    private static void forward128(float[] out, float[] inp, int N) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int i = 0;
        for (int bound = S.loopBound(N); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, inp, i);
            x.mul(sigmoid(x)).intoArray(out, i);
        }
        forwardTail(out, inp, i, N);
    }

    private static void backward512(float[] dinp, float[] inp, float[] dout, int N) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int i = 0;
        for (int bound = S.loopBound(N); i < bound; i += S.length()) {
            FloatVector local = derivative(FloatVector.fromArray(S, inp, i));
            // dinp += dout * local
            FloatVector.fromArray(S, dout, i).fma(local, FloatVector.fromArray(S, dinp, i)).intoArray(dinp, i);
        }
        backwardTail(dinp, inp, dout, i, N);
    }

    private static void backward256(float[] dinp, float[] inp, float[] dout, int N) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int i = 0;
        for (int bound = S.loopBound(N); i < bound; i += S.length()) {
            FloatVector local = derivative(FloatVector.fromArray(S, inp, i));
            FloatVector.fromArray(S, dout, i).fma(local, FloatVector.fromArray(S, dinp, i)).intoArray(dinp, i);
        }
        backwardTail(dinp, inp, dout, i, N);
    }

    private static void backward128(float[] dinp, float[] inp, float[] dout, int N) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int i = 0;
        for (int bound = S.loopBound(N); i < bound; i += S.length()) {
            FloatVector local = derivative(FloatVector.fromArray(S, inp, i));
            FloatVector.fromArray(S, dout, i).fma(local, FloatVector.fromArray(S, dinp, i)).intoArray(dinp, i);
        }
        backwardTail(dinp, inp, dout, i, N);
    }
}
