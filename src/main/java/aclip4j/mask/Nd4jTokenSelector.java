package aclip4j.mask;

import aclip4j.nd.Nd;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link TokenSelector} with ND4J ops (SPEC §5.3–§5.5), no loops over cells or tokens: every cell's rank is one
 * broadcast comparison {@code [B,n,n]}, {@code rank_i = sum_j [v_j better than v_i or (v_j == v_i and j < i)]},
 * exact in float32 for any realistic {@code n}; cells of rank below {@code K} are kept. Cells expand to tokens by
 * broadcasting {@code [B,g,1,g,1] -> [B,g,r,g,r]}, and the ascending index list comes from sorting
 * {@code token + N * (1 - mask)}, which puts the kept tokens first in ascending order.
 */
public final class Nd4jTokenSelector implements TokenSelector {
    @Override
    public Selection select(float[] cellScores, float[] noise, int B, int g, int r, Strategy strategy, int K,
                            int mixedTop) {
        TokenSelector.validate(cellScores, noise, B, g, r, strategy, K, mixedTop);
        int n = g * g;
        int G = g * r;
        int N = G * G;
        int kept = K * r * r;
        INDArray index = Nd4j.arange(n).castTo(DataType.FLOAT);
        INDArray lowerIndex = NdOps.gt(index.reshape(1, n, 1), index.reshape(1, 1, n))
                .castTo(DataType.FLOAT);                                                      // (1,n,n): j < i
        INDArray keep = switch (strategy) {                                                  // (B,n) 0/1
            case DROP_LOW -> ranks(Nd.f32(cellScores, B, n), true, null, lowerIndex).lt(K);
            case DROP_HIGH -> ranks(Nd.f32(cellScores, B, n), false, null, lowerIndex).lt(K);
            case RANDOM -> ranks(Nd.f32(noise, B, n), false, null, lowerIndex).lt(K);
            case MIXED -> {
                INDArray top = ranks(Nd.f32(cellScores, B, n), true, null, lowerIndex).lt(mixedTop)
                        .castTo(DataType.FLOAT);
                INDArray rest = top.rsub(1f);
                INDArray fill = ranks(Nd.f32(noise, B, n), false, rest, lowerIndex).lt(K - mixedTop)
                        .castTo(DataType.FLOAT).muli(rest);
                yield top.add(fill);
            }
        };
        INDArray mask = keep.castTo(DataType.FLOAT).reshape(B, g, 1, g, 1)
                .mul(Nd4j.ones(DataType.FLOAT, 1, 1, r, 1, r)).reshape('c', B, N);            // (B,N) 0/1
        INDArray tokens = Nd4j.arange(N).castTo(DataType.FLOAT).reshape(1, N);
        INDArray keysDropLast = mask.rsub(1f).muli((float) N).addi(tokens);                 // dropped: >= N
        INDArray sorted = Nd4j.sort(keysDropLast, 1, true);
        INDArray keptTokens = sorted.get(NDArrayIndex.all(), NDArrayIndex.interval(0, kept));    // (B,kept)
        int[] keepIndex = Nd.ints(keptTokens);
        int[] maskInts = Nd.ints(mask);
        byte[] keepMask = new byte[maskInts.length];
        for (int t = 0; t < maskInts.length; t++) { // INDArray -> U8 conversion only
            keepMask[t] = (byte) maskInts[t];
        }
        long total = mask.sumNumber().longValue();
        if (total != (long) B * kept) {
            throw new IllegalStateException("kept " + total + " tokens over " + B + " images, expected "
                    + ((long) B * kept));
        }
        return new Selection(keepIndex, keepMask, B, kept, N);
    }

    /**
     * v (B,n) -> rank (B,n): how many cells j (with eligible[b][j] = 1 when given) come before cell i — a
     * greater (descending) or smaller value, or an equal value with j < i.
     */
    private static INDArray ranks(INDArray v, boolean descending, INDArray eligible, INDArray lowerIndex) {
        long B = v.size(0);
        long n = v.size(1);
        INDArray vj = v.reshape(B, 1, n);                                                    // [b][.][j] = v[b][j]
        INDArray vi = v.reshape(B, n, 1);                                                    // [b][i][.] = v[b][i]
        INDArray better = (descending ? NdOps.gt(vj, vi) : NdOps.gt(vi, vj)).castTo(DataType.FLOAT); // (B,n,n)
        INDArray tieBefore = NdOps.eq(vj, vi).castTo(DataType.FLOAT).muli(lowerIndex);
        INDArray comesFirst = better.addi(tieBefore);                                        // disjoint: a 0/1 OR
        if (eligible != null) {
            comesFirst.muli(eligible.reshape(B, 1, n));
        }
        return comesFirst.sum(2);                                                            // (B,n)
    }
}
