package aclip4j.mask;

import static aclip4j.kernel.Lanes.LENGTH;
import static aclip4j.kernel.Lanes.SPECIES;

import aclip4j.kernel.Lanes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * {@link TokenSelector} in plain Java with the Vector API (SPEC §5.3–§5.5). A cell's place in an ordering is its
 * rank: the number of cells that come before it (a better value, or an equal value at a lower index). Cells of
 * rank below {@code K} are kept. Counting ranks is {@code O(n^2)} compares, a few thousand for the 49 cells of
 * the default setting, exact, and the same rule the ND4J twin evaluates as one broadcast comparison. Compares and
 * counts are exact, so the one vector loop (over {@code Lanes.SPECIES}) and the scalar specification
 * ({@link #rankScalar}) give the same selection at every lane width.
 */
public final class SimdTokenSelector implements TokenSelector {
    private final Lanes lanes;

    public SimdTokenSelector() {
        this(Lanes.preferred());
    }

    public SimdTokenSelector(Lanes lanes) {
        this.lanes = lanes;
    }

    @Override
    public Selection select(float[] cellScores, float[] noise, int B, int g, int r, Strategy strategy, int K,
                            int mixedTop) {
        // cellScores, noise are (B,g,g); keepIndex is (B,K*r*r); keepMask is (B,N)
        TokenSelector.validate(cellScores, noise, B, g, r, strategy, K, mixedTop);
        int n = g * g;
        int G = g * r;
        int N = G * G;
        int kept = K * r * r;
        int[] keepIndex = new int[B * kept];
        byte[] keepMask = new byte[B * N];
        boolean[] keepCell = new boolean[n];
        boolean[] rest = new boolean[n];
        for (int b = 0; b < B; b++) {
            int off = b * n;
            for (int i = 0; i < n; i++) {
                keepCell[i] = switch (strategy) {
                    case DROP_LOW -> rank(lanes, cellScores, off, n, i, true, null) < K;
                    case DROP_HIGH -> rank(lanes, cellScores, off, n, i, false, null) < K;
                    case RANDOM -> rank(lanes, noise, off, n, i, false, null) < K;
                    case MIXED -> rank(lanes, cellScores, off, n, i, true, null) < mixedTop;
                };
            }
            if (strategy == Strategy.MIXED) {
                // the rest are ordered by noise among themselves only
                for (int i = 0; i < n; i++) {
                    rest[i] = !keepCell[i];
                }
                for (int i = 0; i < n; i++) {
                    if (rest[i]) {
                        keepCell[i] = rank(lanes, noise, off, n, i, false, rest) < K - mixedTop;
                    }
                }
            }
            // §5.5: cell (ci,cj) holds tokens (ci*r+a)*G + cj*r+c for a, c < r
            for (int i = 0; i < n; i++) {
                if (keepCell[i]) {
                    int ci = i / g;
                    int cj = i % g;
                    for (int a = 0; a < r; a++) {
                        for (int c = 0; c < r; c++) {
                            keepMask[b * N + (ci * r + a) * G + cj * r + c] = 1;
                        }
                    }
                }
            }
            int count = 0;
            for (int t = 0; t < N; t++) { // ascending token order (§1.3)
                if (keepMask[b * N + t] != 0) {
                    keepIndex[b * kept + count++] = t;
                }
            }
            if (count != kept) {
                throw new IllegalStateException("image " + b + " kept " + count + " tokens, expected " + kept);
            }
        }
        return new Selection(keepIndex, keepMask, B, kept, N);
    }

    /** Refuses bad shapes, impossible counts and NaN in an input the strategy reads; shared with the ND4J twin. */

    /**
     * The rank of v[off+i] among v[off..off+n): how many j (eligible ones only, when {@code eligible} is given)
     * come before i, i.e. v[j] better than v[i] (greater when {@code descending}, else smaller), or equal with
     * j < i. Equal values at a lower index come first: that is the §5.4 tie rule.
     */
    static int rank(Lanes lanes, float[] v, int off, int n, int i, boolean descending, boolean[] eligible) {
        if (lanes.scalar()) {
            return rankScalar(v, off, n, i, descending, eligible);
        }
        float vi = v[off + i];
        // j < i: an equal value also comes first (>= or <=); j > i: only a strictly better one
        return countRange(v, off, 0, i, vi, descending, true, eligible)
                + countRange(v, off, i + 1, n, vi, descending, false, eligible);
    }

    /**
     * Number of j in [from,to) (eligible ones only) whose v[off+j] is better than vi, or equal when inclusive. An
     * ascending order compares negated values (v[j] < vi exactly when -v[j] > -vi), so that only GE and GT appear.
     */
    private static int countRange(float[] v, int off, int from, int to, float vi, boolean descending,
                                  boolean inclusive, boolean[] eligible) {
        int j = from;
        int count = 0;
        float t = descending ? vi : -vi;
        for (int upper = from + SPECIES.loopBound(to - from); j < upper; j += LENGTH) {
            FloatVector x = FloatVector.fromArray(SPECIES, v, off + j);
            if (!descending) {
                x = x.neg();                                                  // compare -v[j] with -vi
            }
            VectorMask<Float> hit = inclusive ? x.compare(VectorOperators.GE, t)   // v[j] better or equal
                    : x.compare(VectorOperators.GT, t);                            // v[j] strictly better
            if (eligible != null) {
                hit = hit.and(VectorMask.fromArray(SPECIES, eligible, j));         // and eligible[j]
            }
            count += hit.trueCount();
        }
        for (; j < to; j++) {
            float vj = v[off + j];
            boolean hit = descending ? (inclusive ? vj >= vi : vj > vi) : (inclusive ? vj <= vi : vj < vi);
            if (hit && (eligible == null || eligible[j])) {
                count++;
            }
        }
        return count;
    }

    /** The scalar meaning of {@link #rank}. */
    static int rankScalar(float[] v, int off, int n, int i, boolean descending, boolean[] eligible) {
        float vi = v[off + i];
        int count = 0;
        for (int j = 0; j < n; j++) {
            if (j == i || (eligible != null && !eligible[j])) {
                continue;
            }
            float vj = v[off + j];
            boolean betterValue = descending ? vj > vi : vj < vi;
            if (betterValue || (vj == vi && j < i)) {
                count++;
            }
        }
        return count;
    }
}
