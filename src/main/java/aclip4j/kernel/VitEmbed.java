package aclip4j.kernel;

/**
 * The ViT token sequence before any token is dropped (SPEC §1.2): CLS gets {@code cls + pos[0]}, patch token i gets
 * {@code patch[i] + pos[1+i]}. Shapes: patch (B,N,D) the patch-embedding output; cls (D); pos (N+1,D);
 * out (B,N+1,D).
 *
 * <p>Row additions by {@link Vec#add} and {@link Vec#accumulate}, which follow docs/SPEC.md §13; the backward's
 * sums over the batch ({@code dcls}, {@code dpos}) add the rows in order b = 0..B-1, one channel per lane, so every
 * lane width gives the specification's bits.
 */
public final class VitEmbed {
    private VitEmbed() {}

    /** out (B,N+1,D) from patch (B,N,D), cls (D), pos (N+1,D). */
    public static void vitEmbedForward(Lanes lanes, float[] out, float[] patch, float[] cls, float[] pos,
                                       int B, int N, int D) {
        int T = N + 1;
        for (int b = 0; b < B; b++) {
            Vec.add(lanes, out, b * T * D, cls, 0, pos, 0, D);
            for (int i = 0; i < N; i++) {
                Vec.add(lanes, out, (b * T + 1 + i) * D, patch, (b * N + i) * D, pos, (1 + i) * D, D);
            }
        }
    }

    /** The specification of {@link #vitEmbedForward}. */
    public static void vitEmbedForwardScalar(float[] out, float[] patch, float[] cls, float[] pos, int B, int N, int D) {
        vitEmbedForward(Lanes.SCALAR, out, patch, cls, pos, B, N, D);
    }

    /** dpatch (B,N,D) += dout[:,1:]; dcls (D) += sum_b dout[b,0]; dpos (N+1,D) += sum_b dout[b]. */
    public static void vitEmbedBackward(Lanes lanes, float[] dpatch, float[] dcls, float[] dpos, float[] dout,
                                        int B, int N, int D) {
        int T = N + 1;
        for (int b = 0; b < B; b++) {
            Vec.accumulate(lanes, dcls, 0, dout, b * T * D, D);
            Vec.accumulate(lanes, dpos, 0, dout, b * T * D, D);
            for (int i = 0; i < N; i++) {
                Vec.accumulate(lanes, dpatch, (b * N + i) * D, dout, (b * T + 1 + i) * D, D);
                Vec.accumulate(lanes, dpos, (1 + i) * D, dout, (b * T + 1 + i) * D, D);
            }
        }
    }

    /** The specification of {@link #vitEmbedBackward}. */
    public static void vitEmbedBackwardScalar(float[] dpatch, float[] dcls, float[] dpos, float[] dout,
                                              int B, int N, int D) {
        vitEmbedBackward(Lanes.SCALAR, dpatch, dcls, dpos, dout, B, N, D);
    }
}
