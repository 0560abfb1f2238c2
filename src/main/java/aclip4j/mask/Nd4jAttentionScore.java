package aclip4j.mask;

import aclip4j.nd.Nd;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@link AttentionScore} with ND4J ops (SPEC §3): the CLS query row of every head at once, as a broadcast
 * multiply-and-sum of {@code q[:,:,:,0]} against all keys, a max-subtracted softmax over the key axis, and a
 * sum over layers and heads of the patch columns divided by {@code L'*H}.
 */
public final class Nd4jAttentionScore implements AttentionScore {
    @Override
    public float[] fromQueryKey(float[] q, float[] k, int L, int B, int H, int T, int hs, Layers layers) {
        AttentionScore.checkDims(L, B, H, T, hs);
        Checks.length("q", q.length, "[L,B,H,T,hs]", L, B, H, T, hs);
        Checks.length("k", k.length, "[L,B,H,T,hs]", L, B, H, T, hs);
        int first = AttentionScore.firstLayer(L, layers);
        INDArray qs = Nd.f32(q, L, B, H, T, hs).get(NDArrayIndex.interval(first, L), NDArrayIndex.all(),
                NDArrayIndex.all(), NDArrayIndex.interval(0, 1), NDArrayIndex.all());    // (L',B,H,1,hs) CLS queries
        INDArray ks = Nd.f32(k, L, B, H, T, hs).get(NDArrayIndex.interval(first, L), NDArrayIndex.all(),
                NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());             // (L',B,H,T,hs)
        INDArray logits = ks.mul(qs).sum(4).muli(AttentionScore.scale(hs));               // (L',B,H,T)
        INDArray shifted = logits.sub(logits.max(true, 3));                                // stable: max is 0
        INDArray e = Transforms.exp(shifted, false);
        INDArray probs = e.div(e.sum(true, 3));                                            // (L',B,H,T)
        return patchMean(probs, T, H, L - first);
    }

    @Override
    public float[] fromClsAttention(float[] clsProbs, int L, int B, int H, int T, Layers layers) {
        AttentionScore.checkDims(L, B, H, T, 1);
        Checks.length("CLS attention", clsProbs.length, "[L,B,H,T]", L, B, H, T);
        int first = AttentionScore.firstLayer(L, layers);
        INDArray probs = Nd.f32(clsProbs, L, B, H, T).get(NDArrayIndex.interval(first, L), NDArrayIndex.all(),
                NDArrayIndex.all(), NDArrayIndex.all());
        return patchMean(probs, T, H, L - first);
    }

    /**
     * The same §3 score as a node of a SameDiff graph, for a graph that keeps it on the device (the resident
     * training engine): {@code clsRows [L',B,H,T]} → {@code [B,T-1]}, keys 1..T-1 summed over layers and heads and
     * divided by {@code L'*H}.
     */
    public static SDVariable define(SameDiff sd,
                                                               SDVariable clsRows,
                                                               int layers, int H, int T, String name) {
        AttentionScore.checkDims(layers, 1, H, T, 1);
        SDVariable patches = clsRows.get(SDIndex.all(),
                SDIndex.all(), SDIndex.all(),
                SDIndex.interval(1, T));                         // (L',B,H,N)
        return sd.identity(name, patches.sum(0, 2).div((double) layers * H));
    }

    /** probs (L',B,H,T) -> (B,N): keys 1..T-1, summed over layers and heads, divided by L'*H (§3). */
    private static float[] patchMean(INDArray probs, int T, int H, int layerCount) {
        INDArray patches = probs.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.interval(1, T));                                               // (L',B,H,N)
        return Nd.floats(patches.sum(0, 2).divi((float) (layerCount * H)));
    }
}
