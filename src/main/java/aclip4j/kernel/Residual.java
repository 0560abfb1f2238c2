package aclip4j.kernel;

/**
 * The residual connection {@code x + f(x)} of the pre-norm blocks (SPEC §1.4, §2). Shapes: all (N).
 * Element-wise additions by {@link Vec#add} and {@link Vec#accumulate}, which follow docs/SPEC.md §13: the same
 * addition per element in the vector loop and the scalar tail, so every lane width gives the specification's bits.
 */
public final class Residual {
    private Residual() {}

    /** Elements per {@link Parallel} task: a multiple of every lane count, so each chunk is whole vectors. */
    static final int CHUNK = 1 << 16;

    /** out (N) = inp1 + inp2, in chunks on {@link Parallel}'s threads (one addition per element: the same bits). */
    public static void residualForward(Lanes lanes, float[] out, float[] inp1, float[] inp2, int N) {
        Parallel.forRanges(N, CHUNK, (from, to) -> Vec.add(lanes, out, from, inp1, from, inp2, from, to - from));
    }

    /** The specification of {@link #residualForward}. */
    public static void residualForwardScalar(float[] out, float[] inp1, float[] inp2, int N) {
        Vec.addScalar(out, 0, inp1, 0, inp2, 0, N);
    }

    /** dinp1 (N) += dout; dinp2 (N) += dout. */
    public static void residualBackward(Lanes lanes, float[] dinp1, float[] dinp2, float[] dout, int N) {
        Vec.accumulate(lanes, dinp1, 0, dout, 0, N);
        Vec.accumulate(lanes, dinp2, 0, dout, 0, N);
    }

    /** The specification of {@link #residualBackward}. */
    public static void residualBackwardScalar(float[] dinp1, float[] dinp2, float[] dout, int N) {
        Vec.accumulateScalar(dinp1, 0, dout, 0, N);
        Vec.accumulateScalar(dinp2, 0, dout, 0, N);
    }
}
