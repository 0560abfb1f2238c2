package aclip4j.mask;

import static aclip4j.kernel.Lanes.LENGTH;
import static aclip4j.kernel.Lanes.SPECIES;

import aclip4j.kernel.Lanes;
import jdk.incubator.vector.FloatVector;

/**
 * {@link CellPooling} in plain Java with the Vector API (SPEC §5.2). The vectors run across the {@code g} cells of
 * a cell row, one cell per lane, so no sum runs along the vector axis: as for the sums across rows of
 * docs/SPEC.md §13.4, every cell's sum is added in its own fixed order, the same in each lane and in the scalar
 * tail (the specification), and every width gives the same bits. Per cell {@code (ci, cj)} and block row
 * {@code a < r}:
 * <pre>
 *   rowSum[a] = ((x[a][0] + x[a][1]) + x[a][2]) + ... + x[a][r−1]      the cell's r patches of input row ci·r+a
 *   cell      = (((rowSum[0] + rowSum[1]) + rowSum[2]) + ... + rowSum[r−1]) / (r·r)   a true division
 * </pre>
 * where {@code x[a][k]} is patch {@code cj·r + k} of that row (a strided gather in the vector loop). For
 * {@code r = 2} this is the official 2× bilinear downsampling bit for bit.
 */
public final class SimdCellPooling implements CellPooling {
    private final Lanes lanes;

    public SimdCellPooling() {
        this(Lanes.preferred());
    }

    public SimdCellPooling(Lanes lanes) {
        this.lanes = lanes;
    }

    @Override
    public float[] pool(float[] scores, int B, int G, int r) {
        // scores is (B,G,G); out is (B,g,g)
        int g = CellPooling.cellGrid(G, r);
        Checks.atLeast(1, "B", B);
        Checks.length("scores", scores.length, "[B,G,G]", B, G, G);
        float[] out = new float[B * g * g];
        float[] rowSums = new float[r * g];
        int[] stride = new int[g]; // gather map: cell j starts at patch j*r
        for (int j = 0; j < g; j++) {
            stride[j] = j * r;
        }
        for (int b = 0; b < B; b++) {
            for (int ci = 0; ci < g; ci++) {
                for (int a = 0; a < r; a++) {
                    blockRowSums(lanes, rowSums, a * g, scores, (b * G + ci * r + a) * G, stride, r, g);
                }
                blockMean(lanes, out, (b * g + ci) * g, rowSums, r, g);
            }
        }
        return out;
    }

    /** out[oOff+j] = sum over k < r, in order, of x[xOff + j*r + k], for the g cells j of one input row. */
    static void blockRowSums(Lanes lanes, float[] out, int oOff, float[] x, int xOff, int[] stride, int r, int g) {
        int j = 0;
        if (!lanes.scalar()) {
            for (int bound = SPECIES.loopBound(g); j < bound; j += LENGTH) {
                FloatVector acc = FloatVector.fromArray(SPECIES, x, xOff, stride, j);   // acc = x[xOff + j*r]
                for (int k = 1; k < r; k++) {
                    acc = acc.add(FloatVector.fromArray(SPECIES, x, xOff + k, stride, j)); // acc += x[.. + k]
                }
                acc.intoArray(out, oOff + j);
            }
        }
        for (; j < g; j++) {
            float acc = x[xOff + j * r];
            for (int k = 1; k < r; k++) {
                acc += x[xOff + j * r + k];
            }
            out[oOff + j] = acc;
        }
    }

    /** out[oOff+j] = (sum over a < r, in order, of rowSums[a*g + j]) / (r*r): the block mean of cell j. */
    static void blockMean(Lanes lanes, float[] out, int oOff, float[] rowSums, int r, int g) {
        float count = (float) (r * r);
        int j = 0;
        if (!lanes.scalar()) {
            for (int bound = SPECIES.loopBound(g); j < bound; j += LENGTH) {
                FloatVector acc = FloatVector.fromArray(SPECIES, rowSums, j);                // acc = rowSums[j]
                for (int a = 1; a < r; a++) {
                    acc = acc.add(FloatVector.fromArray(SPECIES, rowSums, a * g + j));       // acc += row sum a
                }
                acc.div(count).intoArray(out, oOff + j);                                     // acc / (r*r)
            }
        }
        for (; j < g; j++) {
            float acc = rowSums[j];
            for (int a = 1; a < r; a++) {
                acc += rowSums[a * g + j];
            }
            out[oOff + j] = acc / count;
        }
    }
}
