package aclip4j.mask;

/**
 * Which patch tokens an online view keeps, SPEC §5.3–§5.5 (paper §3.3).
 *
 * <p>Per image, over its {@code n = g*g} cells (flat index {@code i = row*g + col}):
 * <ul>
 *   <li>{@link Strategy#DROP_LOW} ({@code low}, the default): the {@code K} highest-scoring cells — the paper drops the tokens the EMA
 *       tower attends to least;</li>
 *   <li>{@link Strategy#DROP_HIGH} ({@code high}): the {@code K} lowest-scoring cells (ablation);</li>
 *   <li>{@link Strategy#MIXED}: the {@code mixedTop} highest-scoring cells, then up to {@code K} the cells of
 *       smallest noise among the rest;</li>
 *   <li>{@link Strategy#RANDOM} (FLIP / MAE baseline): the {@code K} cells of smallest noise.</li>
 * </ul>
 * Every ordering breaks ties toward the lower cell index, so cell {@code i} ranks before cell {@code j > i} when
 * their values are equal ({@code -0.0 == 0.0}). Each kept cell then expands to its {@code r x r} patch tokens on
 * the {@code G = g*r} grid, token index {@code row*G + col}, listed in ascending order (§1.3, §5.5).
 *
 * <p>Shapes: {@code cellScores, noise [B,g,g]}; result {@code keepIndex [B,K*r*r]} ascending and
 * {@code keepMask [B,N]} with {@code N = G*G}. NaN in a used input is refused. Noise is an explicit input (uniform
 * in {@code [0,1)} in training) and may be null for {@code low} and {@code high}.
 */
public interface TokenSelector {
    /**
     * §5.4 strategies. The paper and the command line name a strategy by what it <em>drops</em>: {@code low} drops
     * the low-scoring cells, which keeps the tokens the EMA tower attends to most (A-CLIP's choice). The constants
     * say what they do, {@link #DROP_LOW} and {@link #DROP_HIGH}; {@link #id()} is the paper's word.
     */
    enum Strategy implements aclip4j.Choice {
        /** {@code low}: drops the lowest scores, i.e. keeps the K highest-scoring cells (the A-CLIP default). */
        DROP_LOW("low"),
        /** {@code high}: drops the highest scores, i.e. keeps the K lowest-scoring cells (an ablation). */
        DROP_HIGH("high"),
        /** {@code mixed}: keeps the {@code mixedTop} highest-scoring cells, then the rest of K at random (by noise). */
        MIXED("mixed"),
        /** {@code random}: keeps K cells at random (by noise), FLIP-style masking; ignores the scores. */
        RANDOM("random");

        private final String id;

        Strategy(String id) {
            this.id = id;
        }

        @Override
        public String id() {
            return id;
        }

        /** Parses {@code low}, {@code high}, {@code mixed} or {@code random}. */
        public static Strategy parse(String name) {
            return aclip4j.Choice.parse(Strategy.class, name, "strategy");
        }

        public boolean usesScores() {
            return this != RANDOM;
        }

        public boolean usesNoise() {
            return this == MIXED || this == RANDOM;
        }
    }

    /**
     * The kept tokens of every image.
     *
     * @param keepIndex [B,kept] ascending patch token indices, {@code kept = K*r*r}
     * @param keepMask  [B,N] 1 where a token is kept, else 0
     */
    record Selection(int[] keepIndex, byte[] keepMask, int B, int kept, int N) {}

    /**
     * @param cellScores [B,g,g] pooled view scores (§5.2)
     * @param noise      [B,g,g] random values ordering the cells for {@code mixed} and {@code random}; may be null otherwise
     * @param r          patches per cell side
     * @param K          cells kept per image, {@code 1..n}
     * @param mixedTop   for {@code mixed}: highest-scoring cells kept first, {@code 0..K}; ignored otherwise
     */
    Selection select(float[] cellScores, float[] noise, int B, int g, int r, Strategy strategy, int K, int mixedTop);

    /** §5.3 keep count: {@code K = min(n, floor(n * f) + 1)} cells for keep fraction {@code f} in [0, 1]. */
    static int keepCount(int n, double f) {
        if (n < 1) {
            throw new IllegalArgumentException("keep count needs n >= 1 cells, got " + n);
        }
        if (!(f >= 0 && f <= 1)) {
            throw new IllegalArgumentException("keep fraction is " + f + ", expected a value in [0, 1]");
        }
        return (int) Math.min(n, Math.floor(n * f) + 1);
    }

    /**
     * §5.3 default keep fraction: {@code 1/V} for {@code V >= 2} views (paper: {@code N/k} tokens per view),
     * {@code 0.5} for one masked view (official: 25 of 49 cells).
     */
    static double defaultKeepFraction(int views) {
        if (views < 1) {
            throw new IllegalArgumentException("need at least one view, got " + views);
        }
        return views == 1 ? 0.5 : 1.0 / views;
    }

    /** §5.4 default for {@code mixed}: {@code round(0.25 * n)}, halves to even as Python's {@code round}. */
    static int defaultMixedTopCells(int n) {
        return (int) Math.rint(0.25 * n);
    }

    /** The checks both twins make on a selection's inputs (shapes, K, mixed top cells, NaN-free scores and noise). */
    static void validate(float[] cellScores, float[] noise, int B, int g, int r, Strategy strategy, int K,
                         int mixedTop) {
        Checks.atLeast(1, "B, g, r", B, g, r);
        int n = g * g;
        Checks.length("cell scores", cellScores.length, "[B,g,g]", B, g, g);
        if (K < 1 || K > n) {
            throw new IllegalArgumentException("keep_cells K=" + K + " is outside 1.." + n + " (n = g*g cells)");
        }
        if (strategy == Strategy.MIXED && (mixedTop < 0 || mixedTop > K)) {
            throw new IllegalArgumentException("mixed_top_cells=" + mixedTop + " is outside 0..K=" + K);
        }
        if (strategy.usesScores()) {
            Checks.noNaN("cell scores", cellScores);
        }
        if (strategy.usesNoise()) {
            if (noise == null) {
                throw new IllegalArgumentException("strategy " + strategy + " needs noise [B,g,g], got none");
            }
            Checks.length("noise", noise.length, "[B,g,g]", B, g, g);
            Checks.noNaN("noise", noise);
        } else if (noise != null) {
            Checks.length("noise", noise.length, "[B,g,g]", B, g, g);
        }
    }
}
