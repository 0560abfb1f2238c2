package aclip4j.mask;

import aclip4j.nd.Nd;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link CellPooling} with ND4J ops (SPEC §5.2): view {@code [B,G,G]} as {@code [B,g,r,g,r]}, sum the patches of
 * each block row (axis 4), then the block rows (axis 2), and divide by {@code r*r} — the interface's order.
 */
public final class Nd4jCellPooling implements CellPooling {
    @Override
    public float[] pool(float[] scores, int B, int G, int r) {
        int g = CellPooling.cellGrid(G, r);
        Checks.atLeast(1, "B", B);
        Checks.length("scores", scores.length, "[B,G,G]", B, G, G);
        INDArray blocks = Nd.f32(scores, B, g, r, g, r);              // (B,g,r,g,r)
        INDArray rowSums = blocks.sum(true, 4);                       // (B,g,r,g,1)
        INDArray sums = rowSums.sum(true, 2);                         // (B,g,1,g,1)
        return Nd.floats(sums.divi((float) (r * r)));
    }
}
