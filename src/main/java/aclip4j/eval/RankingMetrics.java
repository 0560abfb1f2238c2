package aclip4j.eval;

/**
 * Zero-shot accuracy and retrieval recall (SPEC §11) from embeddings. Every ranking sorts by similarity, highest
 * first, and breaks ties toward the lower index (as SPEC §5.4 does for tokens), so equal scores never flatter a model:
 * a tie with a lower-indexed wrong candidate ranks the right one below it.
 */
public final class RankingMetrics {
    private RankingMetrics() {}

    /** Rows of {@code a} [n,E] and {@code b} [m,E] → similarities [n,m] (plain dot products, float64 accumulation). */
    public static double[] similarities(float[] a, int n, float[] b, int m, int E) {
        double[] s = new double[n * m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double acc = 0;
                for (int e = 0; e < E; e++) {
                    acc += (double) a[i * E + e] * b[j * E + e];
                }
                s[i * m + j] = acc;
            }
        }
        return s;
    }

    /**
     * The 0-based rank of candidate {@code target} in row {@code row} of {@code sim} [rows, m]: the number of candidates
     * scoring higher, plus those scoring equal with a lower index.
     */
    public static int rank(double[] sim, int row, int m, int target) {
        double t = sim[row * m + target];
        if (Double.isNaN(t)) {
            return m; // a NaN similarity never counts as found
        }
        int r = 0;
        for (int j = 0; j < m; j++) {
            double s = sim[row * m + j];
            if (s > t || (s == t && j < target) || (Double.isNaN(s) && j != target)) {
                r++;
            }
        }
        return r;
    }

    /** Fraction of rows whose {@code labels[row]} ranks within the top {@code k} of {@code sim} [rows, m]. */
    public static double topK(double[] sim, int rows, int m, int[] labels, int k) {
        if (rows == 0) {
            throw new IllegalArgumentException("no rows to score");
        }
        int hit = 0;
        for (int i = 0; i < rows; i++) {
            if (labels[i] < 0 || labels[i] >= m) {
                throw new IllegalArgumentException("label " + labels[i] + " of row " + i + " is outside 0.." + (m - 1));
            }
            if (rank(sim, i, m, labels[i]) < k) {
                hit++;
            }
        }
        return (double) hit / rows;
    }

    /**
     * Image→text recall@k: fraction of images with at least one of their captions in the top k texts.
     *
     * @param sim        image-text similarities [images, texts]
     * @param textImage  [texts] the image each text describes
     */
    public static double imageToTextRecall(double[] sim, int images, int texts, int[] textImage, int k) {
        int hit = 0;
        for (int i = 0; i < images; i++) {
            int best = Integer.MAX_VALUE;
            for (int t = 0; t < texts; t++) {
                if (textImage[t] == i) {
                    best = Math.min(best, rank(sim, i, texts, t));
                }
            }
            if (best < k) {
                hit++;
            }
        }
        return (double) hit / images;
    }

    /** Text→image recall@k: fraction of texts whose image ranks in the top k images. */
    public static double textToImageRecall(double[] sim, int images, int texts, int[] textImage, int k) {
        double[] transposed = new double[texts * images];
        for (int i = 0; i < images; i++) {
            for (int t = 0; t < texts; t++) {
                transposed[t * images + i] = sim[i * texts + t];
            }
        }
        return topK(transposed, texts, images, textImage, k);
    }
}
