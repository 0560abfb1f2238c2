package aclip4j.kernel;

/**
 * CLIP's token plus positional embedding (SPEC §2). Shapes: tokens (B,T) ids in [0,V); wte (V,C); wpe (Tmax,C)
 * with T <= Tmax, position t uses row t; out (B,T,C).
 *
 * <p>Row additions by {@link Vec#add} and {@link Vec#accumulate}, which follow docs/SPEC.md §13, so every lane
 * width gives the specification's bits; the backward adds the rows {@code b,t} in order, one channel per lane, so
 * repeated ids always add up in the same order.
 */
public final class Embedding {
    private Embedding() {}

    /** out[b,t,:] = wte[tokens[b,t],:] + wpe[t,:]. */
    public static void embeddingForward(Lanes lanes, float[] out, int[] tokens, float[] wte, float[] wpe,
                                        int B, int T, int C) {
        for (int bt = 0; bt < B * T; bt++) {
            Vec.add(lanes, out, bt * C, wte, tokens[bt] * C, wpe, (bt % T) * C, C);
        }
    }

    /** The specification of {@link #embeddingForward}. */
    public static void embeddingForwardScalar(float[] out, int[] tokens, float[] wte, float[] wpe, int B, int T, int C) {
        for (int bt = 0; bt < B * T; bt++) {
            Vec.addScalar(out, bt * C, wte, tokens[bt] * C, wpe, (bt % T) * C, C);
        }
    }

    /** dwte[tokens[b,t],:] += dout[b,t,:] (a scatter-add: repeated ids add up); dwpe[t,:] += dout[b,t,:]. */
    public static void embeddingBackward(Lanes lanes, float[] dwte, float[] dwpe, float[] dout, int[] tokens,
                                         int B, int T, int C) {
        for (int bt = 0; bt < B * T; bt++) {
            Vec.accumulate(lanes, dwte, tokens[bt] * C, dout, bt * C, C);
            Vec.accumulate(lanes, dwpe, (bt % T) * C, dout, bt * C, C);
        }
    }

    /** The specification of {@link #embeddingBackward}. */
    public static void embeddingBackwardScalar(float[] dwte, float[] dwpe, float[] dout, int[] tokens,
                                               int B, int T, int C) {
        for (int bt = 0; bt < B * T; bt++) {
            Vec.accumulateScalar(dwte, tokens[bt] * C, dout, bt * C, C);
            Vec.accumulateScalar(dwpe, (bt % T) * C, dout, bt * C, C);
        }
    }
}
