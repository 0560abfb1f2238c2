package aclip4j.loss;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * docs/SPEC.md §6: with {@code V >= 2} views the SimCLR and SimSiam losses are the mean, over every pair of views
 * {@code a < b} (in the order (0,1), (0,2), ..., (1,2), ...), of the two-view loss; the official code has two views,
 * which is the single pair (0,1). The backward returns one gradient array per view: the sum, in pair order, of what
 * each pair's backward gives that view.
 */
public final class ViewPairs implements LossPass<float[][]> {
    private final int views;
    private final int[][] pairs;
    private final List<LossPass<ViewPairGrads>> passes;

    private ViewPairs(int views, int[][] pairs, List<LossPass<ViewPairGrads>> passes) {
        this.views = views;
        this.pairs = pairs;
        this.passes = passes;
    }

    /**
     * @param views V >= 2
     * @param pair  the two-view loss of views (a, b), called once per pair in pair order
     */
    public static ViewPairs of(int views, BiFunction<Integer, Integer, LossPass<ViewPairGrads>> pair) {
        if (views < 2) {
            throw new IllegalArgumentException("an SSL loss between views needs V >= 2 views, got V = " + views);
        }
        List<int[]> idx = new ArrayList<>();
        List<LossPass<ViewPairGrads>> passes = new ArrayList<>();
        for (int a = 0; a < views; a++) {
            for (int b = a + 1; b < views; b++) {
                idx.add(new int[] {a, b});
                passes.add(pair.apply(a, b));
            }
        }
        return new ViewPairs(views, idx.toArray(new int[0][]), passes);
    }

    /** The mean of the pairs' losses: summed in double in pair order, divided by the pair count, rounded once. */
    @Override
    public float loss() {
        double sum = 0;
        for (LossPass<ViewPairGrads> p : passes) {
            sum += p.loss();
        }
        return (float) (sum / passes.size());
    }

    /** Per view [B,D]: each pair's backward at {@code dLoss / pairs}, added into its two views in pair order. */
    @Override
    public float[][] backward(float dLoss) {
        float[][] grads = new float[views][];
        float each = dLoss / passes.size();
        for (int p = 0; p < passes.size(); p++) {
            ViewPairGrads g = passes.get(p).backward(each);
            grads[pairs[p][0]] = addInto(grads[pairs[p][0]], g.first());
            grads[pairs[p][1]] = addInto(grads[pairs[p][1]], g.second());
        }
        return grads;
    }

    private static float[] addInto(float[] acc, float[] g) {
        if (acc == null) {
            return g.clone(); // the first contribution as it is (no 0 + g, which would turn -0 into +0)
        }
        for (int i = 0; i < g.length; i++) {
            acc[i] += g[i];
        }
        return acc;
    }
}
