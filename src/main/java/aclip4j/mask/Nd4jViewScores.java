package aclip4j.mask;

import aclip4j.nd.Nd;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link ViewScores} with ND4J ops (SPEC §5.1): {@link Nd4jBilinearResize} for both resizes and a sub-array
 * assignment for the zero-filled crop. Boxes differ per image, so images go one at a time.
 */
public final class Nd4jViewScores implements ViewScores {
    @Override
    public float[] viewScores(float[] scoreMap, int B, int Ge, int[] emaBox, int[] viewBox, int G) {
        Checks.atLeast(1, "B, Ge, G", B, Ge, G);
        Checks.length("score map", scoreMap.length, "[B,Ge,Ge]", B, Ge, Ge);
        Checks.boxes("ema_box", emaBox, B);
        Checks.boxes("view_box", viewBox, B);
        Checks.finite("score map", scoreMap);
        INDArray maps = Nd.f32(scoreMap, B, Ge, Ge);
        INDArray out = Nd4j.create(DataType.FLOAT, B, G, G);
        for (int b = 0; b < B; b++) {
            int he = emaBox[4 * b + 2];
            int we = emaBox[4 * b + 3];
            int dy = viewBox[4 * b] - emaBox[4 * b];
            int dx = viewBox[4 * b + 1] - emaBox[4 * b + 1];
            int hv = viewBox[4 * b + 2];
            int wv = viewBox[4 * b + 3];
            INDArray map = maps.get(NDArrayIndex.interval(b, b + 1), NDArrayIndex.all(), NDArrayIndex.all());
            INDArray r = Nd4jBilinearResize.resize(map, he, we);                  // (1,he,we)
            INDArray c = Nd4j.zeros(DataType.FLOAT, 1, hv, wv);
            int rowLo = Math.max(0, -dy);
            int rowHi = Math.min(hv, he - dy);
            int colLo = Math.max(0, -dx);
            int colHi = Math.min(wv, we - dx);
            if (rowLo < rowHi && colLo < colHi) {
                INDArrayIndex[] inC = {NDArrayIndex.all(), NDArrayIndex.interval(rowLo, rowHi),
                        NDArrayIndex.interval(colLo, colHi)};
                INDArrayIndex[] inR = {NDArrayIndex.all(), NDArrayIndex.interval(dy + rowLo, dy + rowHi),
                        NDArrayIndex.interval(dx + colLo, dx + colHi)};
                c.put(inC, r.get(inR));
            }
            out.put(new INDArrayIndex[] {NDArrayIndex.interval(b, b + 1), NDArrayIndex.all(), NDArrayIndex.all()},
                    Nd4jBilinearResize.resize(c, G, G));
        }
        return Nd.floats(out);
    }
}
