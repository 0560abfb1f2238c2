package aclip4j.mask;


/**
 * The attentive score of SPEC §3 (paper §3.3): how much the CLS query of the EMA tower attends to each patch
 * token of the full, unmasked EMA view.
 *
 * <p>{@code s[b][i] = (1/(L'*H)) * sum_l sum_h P[l][b][h][0][1+i]} for patch {@code i} in {@code 0..N-1}, where
 * {@code P} is the softmax over all {@code T = N+1} keys (CLS included) of {@code q[0]·k[j] * hs^-0.5} and the
 * sum runs over all {@code L' = L} layers ({@link Layers#ALL}, Table 2 "all layers") or only the last one
 * ({@link Layers#LAST}, {@code L' = 1}). The CLS-to-CLS weight is dropped without renormalising, so each row of
 * the result sums to {@code 1 - mean CLS-self weight <= 1}. Read as a {@code Ge x Ge} map it is the score map
 * {@code M} of §5.1.
 *
 * <p>Shapes: {@code L} layers, {@code B} batch, {@code H} heads, {@code T} tokens (CLS at 0), {@code hs} head size,
 * {@code N = T-1}. All arrays are flat row-major float32.
 */
public interface AttentionScore {
    /** Which layers the score averages (§3 option {@code layers}). */
    enum Layers implements aclip4j.Choice {
        /** {@code all}: every layer (the paper's default, Table 2). */
        ALL,
        /** {@code last}: only the last layer (ablation). */
        LAST;

        /** Parses {@code all} or {@code last}. */
        public static Layers parse(String name) {
            return aclip4j.Choice.parse(Layers.class, name, "layers");
        }
    }

    /**
     * Score from the per-layer queries and keys.
     *
     * @param q [L,B,H,T,hs] queries of every layer (after the qkv projection, split into heads)
     * @param k [L,B,H,T,hs] keys, same layout
     * @return scores [B,N]
     */
    float[] fromQueryKey(float[] q, float[] k, int L, int B, int H, int T, int hs, Layers layers);

    /**
     * Score from already computed CLS-row attention probabilities (what the towers keep, §1.6).
     *
     * @param clsProbs [L,B,H,T] the softmax row of the CLS query, {@code P[l][b][h][0][:]}
     * @return scores [B,N]
     */
    float[] fromClsAttention(float[] clsProbs, int L, int B, int H, int T, Layers layers);

    /**
     * The score of every layer a tower kept ({@code VisionTower.Pass.clsAttention}, {@code [L',B,H,T]}, the
     * layers chosen by the tower's {@code lastLayerOnly}): {@code fromClsAttention} over all {@code L'} of them.
     */
    default float[] fromTowerRows(float[] clsRows, int B, int H, int T) {
        long perLayer = (long) B * H * T;
        if (clsRows == null || clsRows.length == 0 || clsRows.length % perLayer != 0) {
            throw new IllegalArgumentException("CLS attention rows hold " + (clsRows == null ? "null" : clsRows.length)
                    + " values, expected a multiple of B*H*T = " + perLayer);
        }
        return fromClsAttention(clsRows, (int) (clsRows.length / perLayer), B, H, T, Layers.ALL);
    }

    /** The softmax scale as timm applies it: {@code hs^-0.5} rounded to float32. */
    static float scale(int hs) {
        return (float) Math.pow(hs, -0.5);
    }

    /** The shape checks both twins make. */
    static void checkDims(int L, int B, int H, int T, int hs) {
        Checks.atLeast(1, "L, B, H, hs", L, B, H, hs);
        if (T < 2) {
            throw new IllegalArgumentException("attention score needs T >= 2 tokens (CLS and at least one patch), got T="
                    + T);
        }
    }

    /** The first layer the score sums over. */
    static int firstLayer(int L, Layers layers) {
        return layers == Layers.LAST ? L - 1 : 0;
    }

    /** How many layers the score sums over. */
    static int layerCount(int L, Layers layers) {
        return layers == Layers.LAST ? 1 : L;
    }
}
