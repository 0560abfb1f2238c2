package aclip4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * CLIP's QuickGELU (SPEC §2): {@code x * sigmoid(1.702 x)}. Shapes: inp, out, dinp, dout (N).
 * The scalar twin takes exp in double; the vector one runs three passes over blocks of {@value #BLOCK} floats:
 * {@code e = -1.702 x} ({@link Vec#scale}), {@code e = exp(e)} ({@link Vec#expShifted}), then the result with
 * {@code s = 1 / (1 + e)} (see {@link Gelu} for why passes). The last pass exists once per width
 * ({@code forward512}, ...; read the 512 copy): C2 needs the species as a constant, see {@link Vec}.
 */
public final class QuickGelu {
    private QuickGelu() {}

    private static final float K = 1.702f;
    /** Floats per pass, a multiple of every lane count. */
    static final int BLOCK = 512;

    /** out (N) = x sigmoid(1.702 x). */
    public static void quickGeluForward(Lanes lanes, float[] out, float[] inp, int N) {
        if (Vec.scalarLoops(lanes)) {
            quickGeluForwardScalar(out, inp, N);
            return;
        }
        float[] e = new float[BLOCK];
        int vectorEnd = lanes.loopBound(N);
        for (int i0 = 0; i0 < vectorEnd; i0 += BLOCK) {
            int n = Math.min(BLOCK, vectorEnd - i0);
            Vec.scale(lanes, -K, inp, i0, e, 0, n);
            Vec.expShifted(lanes, e, 0, e, 0, n, 0f);                        // e = exp(-1.702 x)
            switch (lanes.bits()) {
                case 512 -> forward512(out, inp, i0, e, n);
                case 256 -> forward256(out, inp, i0, e, n);
                case 128 -> forward128(out, inp, i0, e, n);
                default -> throw new IllegalStateException("no vector loop for " + lanes);
            }
        }
        forwardTail(out, inp, vectorEnd, N);
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
        if (Vec.scalarLoops(lanes)) {
            quickGeluBackwardScalar(dinp, inp, dout, N);
            return;
        }
        float[] e = new float[BLOCK];
        int vectorEnd = lanes.loopBound(N);
        for (int i0 = 0; i0 < vectorEnd; i0 += BLOCK) {
            int n = Math.min(BLOCK, vectorEnd - i0);
            Vec.scale(lanes, -K, inp, i0, e, 0, n);
            Vec.expShifted(lanes, e, 0, e, 0, n, 0f);                        // e = exp(-1.702 x)
            switch (lanes.bits()) {
                case 512 -> backward512(dinp, inp, dout, i0, e, n);
                case 256 -> backward256(dinp, inp, dout, i0, e, n);
                case 128 -> backward128(dinp, inp, dout, i0, e, n);
                default -> throw new IllegalStateException("no vector loop for " + lanes);
            }
        }
        backwardTail(dinp, inp, dout, vectorEnd, N);
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

    // ---------------------------------------------------------------------------------------------------------
    // The last pass once per width; n is a whole number of vectors, e[i] = exp(-1.702 x):
    //   forward:  s = 1 / (1 + e);  out = x s
    //   backward: s = 1 / (1 + e);  local = 1.702 x s (1 - s) + s;  dinp += dout * local

    private static void forward512(float[] out, float[] inp, int off, float[] e, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        for (int i = 0; i < S.loopBound(n); i += S.length()) {
            FloatVector s = FloatVector.broadcast(S, 1f).div(FloatVector.fromArray(S, e, i).add(1f));
            FloatVector.fromArray(S, inp, off + i).mul(s).intoArray(out, off + i);
        }
    }

    private static void forward256(float[] out, float[] inp, int off, float[] e, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        for (int i = 0; i < S.loopBound(n); i += S.length()) {
            FloatVector s = FloatVector.broadcast(S, 1f).div(FloatVector.fromArray(S, e, i).add(1f));
            FloatVector.fromArray(S, inp, off + i).mul(s).intoArray(out, off + i);
        }
    }

    private static void forward128(float[] out, float[] inp, int off, float[] e, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        for (int i = 0; i < S.loopBound(n); i += S.length()) {
            FloatVector s = FloatVector.broadcast(S, 1f).div(FloatVector.fromArray(S, e, i).add(1f));
            FloatVector.fromArray(S, inp, off + i).mul(s).intoArray(out, off + i);
        }
    }

    private static void backward512(float[] dinp, float[] inp, float[] dout, int off, float[] e, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        for (int i = 0; i < S.loopBound(n); i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, inp, off + i);
            FloatVector s = FloatVector.broadcast(S, 1f).div(FloatVector.fromArray(S, e, i).add(1f));
            FloatVector local = x.mul(K).mul(s).mul(s.neg().add(1f)).add(s);
            FloatVector.fromArray(S, dout, off + i).fma(local, FloatVector.fromArray(S, dinp, off + i))
                    .intoArray(dinp, off + i);
        }
    }

    private static void backward256(float[] dinp, float[] inp, float[] dout, int off, float[] e, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        for (int i = 0; i < S.loopBound(n); i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, inp, off + i);
            FloatVector s = FloatVector.broadcast(S, 1f).div(FloatVector.fromArray(S, e, i).add(1f));
            FloatVector local = x.mul(K).mul(s).mul(s.neg().add(1f)).add(s);
            FloatVector.fromArray(S, dout, off + i).fma(local, FloatVector.fromArray(S, dinp, off + i))
                    .intoArray(dinp, off + i);
        }
    }

    private static void backward128(float[] dinp, float[] inp, float[] dout, int off, float[] e, int n) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        for (int i = 0; i < S.loopBound(n); i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, inp, off + i);
            FloatVector s = FloatVector.broadcast(S, 1f).div(FloatVector.fromArray(S, e, i).add(1f));
            FloatVector local = x.mul(K).mul(s).mul(s.neg().add(1f)).add(s);
            FloatVector.fromArray(S, dout, off + i).fma(local, FloatVector.fromArray(S, dinp, off + i))
                    .intoArray(dinp, off + i);
        }
    }
}
