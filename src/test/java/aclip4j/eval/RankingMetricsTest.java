package aclip4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RankingMetricsTest {
    /** Identity similarities: every row's own index is the best. */
    private static double[] eye(int n) {
        double[] s = new double[n * n];
        for (int i = 0; i < n; i++) {
            s[i * n + i] = 1;
        }
        return s;
    }

    @Test
    void perfectEmbeddingsScoreOne() {
        int n = 5;
        int[] labels = {0, 1, 2, 3, 4};
        assertEquals(1.0, RankingMetrics.topK(eye(n), n, n, labels, 1));
        assertEquals(1.0, RankingMetrics.imageToTextRecall(eye(n), n, n, labels, 1));
        assertEquals(1.0, RankingMetrics.textToImageRecall(eye(n), n, n, labels, 1));
    }

    @Test
    void reversedRankingPutsTheRightAnswerLast() {
        int n = 10;
        double[] s = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                s[i * n + j] = i == j ? -1 : 1.0 / (1 + j); // the right one scores lowest
            }
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i;
        }
        assertEquals(0.0, RankingMetrics.topK(s, n, n, labels, 5));
        assertEquals(0.0, RankingMetrics.topK(s, n, n, labels, 9));
        assertEquals(1.0, RankingMetrics.topK(s, n, n, labels, 10));
    }

    @Test
    void tiesGoToTheLowerIndex() {
        // one row, four candidates all equal: candidate j has rank j
        double[] s = {0.5, 0.5, 0.5, 0.5};
        assertEquals(0, RankingMetrics.rank(s, 0, 4, 0));
        assertEquals(3, RankingMetrics.rank(s, 0, 4, 3));
        assertEquals(0.0, RankingMetrics.topK(s, 1, 4, new int[] {2}, 2));
        assertEquals(1.0, RankingMetrics.topK(s, 1, 4, new int[] {2}, 3));
    }

    @Test
    void severalCaptionsPerImageCountTheBestOne() {
        // 2 images, 4 texts: texts 0,1 describe image 0; texts 2,3 image 1
        int[] textImage = {0, 0, 1, 1};
        double[] sim = {
            0.1, 0.9, 0.8, 0.0, // image 0: its caption 1 is best
            0.7, 0.6, 0.5, 0.4, // image 1: its captions rank 2 and 3
        };
        assertEquals(0.5, RankingMetrics.imageToTextRecall(sim, 2, 4, textImage, 1));
        assertEquals(1.0, RankingMetrics.imageToTextRecall(sim, 2, 4, textImage, 3));
        // text→image: text0 prefers image1 (0.7 > 0.1): miss; text1 0.9 > 0.6 hit; text2 0.8 > 0.5 miss; text3 0.0 < 0.4 hit
        assertEquals(0.5, RankingMetrics.textToImageRecall(sim, 2, 4, textImage, 1));
    }

    @Test
    void similaritiesAreDotProducts() {
        float[] a = {1, 2, 3, 4};
        float[] b = {1, 0, 0, 1, 2, 2};
        double[] s = RankingMetrics.similarities(a, 2, b, 3, 2);
        assertEquals(1.0, s[0]);
        assertEquals(2.0, s[1]);
        assertEquals(6.0, s[2]);
        assertEquals(14.0, s[5]);
    }
}
