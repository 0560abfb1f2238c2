package aclip4j.kernel;

/**
 * Row gather along the token axis: token dropping (SPEC §1.3, §5.5: CLS and the kept patch tokens, ascending),
 * taking the CLS row for the image head (§1.5) and the EOT row for the text pooling (§2).
 * Shapes: inp (B,Tin,C); index (B,R) rows of inp, each in [0,Tin); out (B,R,C).
 * The forward pass is a copy (System.arraycopy, no arithmetic to vectorise); the backward is a scatter-add by
 * {@link Vec#accumulate} in the order b, r (docs/SPEC.md §13: across rows in row order, one channel per lane), so a
 * row gathered twice gets its two gradients added in the same order at every lane width.
 */
public final class Gather {
    private Gather() {}

    /** out[b,r,:] = inp[b,index[b,r],:]. */
    public static void gatherForward(float[] out, float[] inp, int[] index, int B, int Tin, int R, int C) {
        for (int b = 0; b < B; b++) {
            for (int r = 0; r < R; r++) {
                System.arraycopy(inp, (b * Tin + index[b * R + r]) * C, out, (b * R + r) * C, C);
            }
        }
    }

    /** dinp[b,index[b,r],:] += dout[b,r,:]. */
    public static void gatherBackward(Lanes lanes, float[] dinp, float[] dout, int[] index, int B, int Tin, int R, int C) {
        for (int b = 0; b < B; b++) {
            for (int r = 0; r < R; r++) {
                Vec.accumulate(lanes, dinp, (b * Tin + index[b * R + r]) * C, dout, (b * R + r) * C, C);
            }
        }
    }

    /** The specification of {@link #gatherBackward}. */
    public static void gatherBackwardScalar(float[] dinp, float[] dout, int[] index, int B, int Tin, int R, int C) {
        for (int b = 0; b < B; b++) {
            for (int r = 0; r < R; r++) {
                Vec.accumulateScalar(dinp, (b * Tin + index[b * R + r]) * C, dout, (b * R + r) * C, C);
            }
        }
    }
}
