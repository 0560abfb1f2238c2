package aclip4j.kernel;

import static aclip4j.kernel.Lanes.LENGTH;
import static aclip4j.kernel.Lanes.SPECIES;

import jdk.incubator.vector.FloatVector;

/**
 * CLIP's QuickGELU (SPEC §2): {@code x * sigmoid(1.702 x)}. Shapes: inp, out, dinp, dout (N).
 *
 * <p>The scalar loops ({@link #sigmoid}) are the specification, in float with {@link VecMath#exp} (IEEE-exact
 * operations only, unlike {@code Math.exp}); following docs/SPEC.md §13 the vector code applies the same operations
 * to every lane, so every lane width gives the bits of the specification. It runs three passes over blocks of
 * {@value #BLOCK} floats: {@code e = -1.702 x} ({@link Vec#scale}), {@code e = exp(e)} ({@link Vec#exp}),
 * then the result with {@code s = 1 / (e + 1)} (see {@link Gelu} for why passes). The elements after the last
 * whole vector take the scalar specification.
 */
public final class QuickGelu {
    private QuickGelu() {}

    private static final float K = 1.702f;
    /** Floats per pass, a multiple of every lane count. */
    static final int BLOCK = 512;
    /** Floats per {@link Parallel} task: whole blocks, so a task's passes are the serial loop's. */
    static final int CHUNK = 32 * BLOCK;
    /** Each thread's block buffer. */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[BLOCK]);

    /** One block's pass: elements [i0, i0 + n) (whole vectors), e = exp(-1.702 x) of them at e[0, n). */
    private interface BlockPass {
        void run(int i0, int n, float[] e);
    }

    /**
     * The blocks of [0, vectorEnd) in chunks on {@link Parallel}'s threads, each block's e computed first. Every
     * element on its own: chunks on any thread give the same bits.
     */
    private static void blocks(Lanes lanes, float[] inp, int vectorEnd, BlockPass pass) {
        Parallel.forRanges(vectorEnd, CHUNK, (from, end) -> {
            float[] e = SCRATCH.get();
            for (int i0 = from; i0 < end; i0 += BLOCK) {
                int n = Math.min(BLOCK, end - i0);
                Vec.scale(lanes, -K, inp, i0, e, 0, n);
                Vec.exp(lanes, e, 0, e, 0, n, 0f);                            // e = exp(-1.702 x)
                pass.run(i0, n, e);
            }
        });
    }

    /** out (N) = x sigmoid(1.702 x). */
    public static void quickGeluForward(Lanes lanes, float[] out, float[] inp, int N) {
        long t0 = KernelTimes.start();
        int vectorEnd = lanes.loopBound(N); // 0 for the scalar specification
        if (vectorEnd > 0) {
            blocks(lanes, inp, vectorEnd, (i0, n, e) -> {
                for (int i = 0; i < n; i += LENGTH) {
                    // s = 1 / (e + 1); out = x * s
                    FloatVector s = FloatVector.broadcast(SPECIES, 1f).div(FloatVector.fromArray(SPECIES, e, i).add(1f));
                    FloatVector.fromArray(SPECIES, inp, i0 + i).mul(s).intoArray(out, i0 + i);
                }
            });
        }
        for (int i = vectorEnd; i < N; i++) {
            out[i] = inp[i] * sigmoid(inp[i]);
        }
        KernelTimes.stop(KernelTimes.Family.ACTIVATION, t0);
    }

    /** The specification of {@link #quickGeluForward}. */
    public static void quickGeluForwardScalar(float[] out, float[] inp, int N) {
        quickGeluForward(Lanes.SCALAR, out, inp, N);
    }

    /** dinp (N) = fma(dout, 1.702 x s (1 - s) + s, dinp), s = sigmoid(1.702 x). */
    public static void quickGeluBackward(Lanes lanes, float[] dinp, float[] inp, float[] dout, int N) {
        long t0 = KernelTimes.start();
        int vectorEnd = lanes.loopBound(N); // 0 for the scalar specification
        if (vectorEnd > 0) {
            blocks(lanes, inp, vectorEnd, (i0, n, e) -> {
                for (int i = 0; i < n; i += LENGTH) {
                    FloatVector x = FloatVector.fromArray(SPECIES, inp, i0 + i);
                    // s = 1 / (e + 1); local = x * K * s * (1 - s) + s
                    FloatVector s = FloatVector.broadcast(SPECIES, 1f).div(FloatVector.fromArray(SPECIES, e, i).add(1f));
                    FloatVector local = x.mul(K).mul(s).mul(FloatVector.broadcast(SPECIES, 1f).sub(s)).add(s);
                    // dinp = fma(dout, local, dinp)
                    FloatVector.fromArray(SPECIES, dout, i0 + i).fma(local, FloatVector.fromArray(SPECIES, dinp, i0 + i))
                            .intoArray(dinp, i0 + i);
                }
            });
        }
        for (int i = vectorEnd; i < N; i++) {
            float x = inp[i], s = sigmoid(x);
            dinp[i] = Math.fma(dout[i], x * K * s * (1f - s) + s, dinp[i]);
        }
        KernelTimes.stop(KernelTimes.Family.ACTIVATION, t0);
    }

    /** The specification of {@link #quickGeluBackward}. */
    public static void quickGeluBackwardScalar(float[] dinp, float[] inp, float[] dout, int N) {
        quickGeluBackward(Lanes.SCALAR, dinp, inp, dout, N);
    }

    /** sigmoid(1.702 x) = 1 / (exp(-1.702 x) + 1), the product -1.702 x rounded before the exp. */
    static float sigmoid(float x) {
        return 1f / (VecMath.exp(-K * x) + 1f);
    }
}
