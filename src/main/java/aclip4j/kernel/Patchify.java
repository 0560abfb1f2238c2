package aclip4j.kernel;

/**
 * Patch extraction for the ViT patch embedding (SPEC §1.1). Shapes: images (B,3,S,S); out (B,N,3*p*p) with
 * N = G*G, G = S/p, patches in row-major grid order (token i is grid row i / G, column i % G), each flattened
 * channel-major, then pixel row, then pixel column: the order of {@code patch_embed.proj.weight [D,3,p,p]}
 * reshaped to [D,3*p*p], so the conv is a Linear over patches. Pure data movement: both directions copy or add
 * p-pixel runs, with no arithmetic to vectorise in the forward. Patches do not overlap, so the backward adds each
 * pixel's one gradient by {@link Vec#accumulate}, the same addition at every lane width (docs/SPEC.md §13).
 */
public final class Patchify {
    private Patchify() {}

    /** out (B,N,3pp) from images (B,3,S,S). */
    public static void patchifyForward(float[] out, float[] images, int B, int S, int p) {
        patchifyForward(out, 0, images, B, S, p);
    }

    /** The same, written into {@code out} from element {@code offset} on (several image batches into one array). */
    public static void patchifyForward(float[] out, int offset, float[] images, int B, int S, int p) {
        int G = S / p, P = 3 * p * p;
        for (int b = 0; b < B; b++) {
            for (int gy = 0; gy < G; gy++) {
                for (int gx = 0; gx < G; gx++) {
                    int o = offset + (b * G * G + gy * G + gx) * P;
                    for (int c = 0; c < 3; c++) {
                        for (int y = 0; y < p; y++) {
                            int src = ((b * 3 + c) * S + gy * p + y) * S + gx * p;
                            System.arraycopy(images, src, out, o + (c * p + y) * p, p);
                        }
                    }
                }
            }
        }
    }

    /** dimages (B,3,S,S) += the patch gradient dout (B,N,3pp) put back at each pixel. */
    public static void patchifyBackward(Lanes lanes, float[] dimages, float[] dout, int B, int S, int p) {
        int G = S / p, P = 3 * p * p;
        for (int b = 0; b < B; b++) {
            for (int gy = 0; gy < G; gy++) {
                for (int gx = 0; gx < G; gx++) {
                    int o = (b * G * G + gy * G + gx) * P;
                    for (int c = 0; c < 3; c++) {
                        for (int y = 0; y < p; y++) {
                            int dst = ((b * 3 + c) * S + gy * p + y) * S + gx * p;
                            Vec.accumulate(lanes, dimages, dst, dout, o + (c * p + y) * p, p);
                        }
                    }
                }
            }
        }
    }

    /** The specification of {@link #patchifyBackward}. */
    public static void patchifyBackwardScalar(float[] dimages, float[] dout, int B, int S, int p) {
        patchifyBackward(Lanes.SCALAR, dimages, dout, B, S, p);
    }
}
