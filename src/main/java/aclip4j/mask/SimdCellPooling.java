package aclip4j.mask;

import aclip4j.kernel.Lanes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CellPooling} in plain Java with the Vector API (SPEC §5.2). Vectors run across the {@code g} cells of a
 * cell row: a strided gather picks each cell's {@code k}-th patch of an input row, the {@code r} picks add to
 * row sums, and the {@code r} row sums add down the block. The adds happen in the same order in every lane, so
 * every width gives the scalar loop's bits.
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

    /** out[oOff+j] = sum over k < r of x[xOff + j*r + k], for the g cells j of one input row. */
    static void blockRowSums(Lanes lanes, float[] out, int oOff, float[] x, int xOff, int[] stride, int r, int g) {
        int j = switch (lanes.bits()) {
            case 512 -> blockRowSums512(out, oOff, x, xOff, stride, r, g);
            case 256 -> blockRowSums256(out, oOff, x, xOff, stride, r, g);
            case 128 -> blockRowSums128(out, oOff, x, xOff, stride, r, g);
            default -> 0;
        };
        for (; j < g; j++) {
            float acc = x[xOff + j * r];
            for (int k = 1; k < r; k++) {
                acc += x[xOff + j * r + k];
            }
            out[oOff + j] = acc;
        }
    }

    /** out[oOff+j] = (sum over a < r of rowSums[a*g + j]) / (r*r): the block mean of cell j. */
    static void blockMean(Lanes lanes, float[] out, int oOff, float[] rowSums, int r, int g) {
        float count = (float) (r * r);
        int j = switch (lanes.bits()) {
            case 512 -> blockMean512(out, oOff, rowSums, r, g, count);
            case 256 -> blockMean256(out, oOff, rowSums, r, g, count);
            case 128 -> blockMean128(out, oOff, rowSums, r, g, count);
            default -> 0;
        };
        for (; j < g; j++) {
            float acc = rowSums[j];
            for (int a = 1; a < r; a++) {
                acc += rowSums[a * g + j];
            }
            out[oOff + j] = acc / count;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The vector loops once per width (C2 needs the species as a constant, see aclip4j.kernel.Vec; the copies
    // differ only in it). Each returns where the scalar loop takes over.

    private static int blockRowSums512(float[] out, int oOff, float[] x, int xOff, int[] stride, int r, int g) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int j = 0;
        for (int bound = S.loopBound(g); j < bound; j += S.length()) {
            FloatVector acc = FloatVector.fromArray(S, x, xOff, stride, j); // x[xOff + (j+lane)*r]
            for (int k = 1; k < r; k++) {
                acc = acc.add(FloatVector.fromArray(S, x, xOff + k, stride, j)); // += x[... + k]
            }
            acc.intoArray(out, oOff + j);
        }
        return j;
    }

    private static int blockMean512(float[] out, int oOff, float[] rowSums, int r, int g, float count) {
        VectorSpecies<Float> S = FloatVector.SPECIES_512;
        int j = 0;
        for (int bound = S.loopBound(g); j < bound; j += S.length()) {
            FloatVector acc = FloatVector.fromArray(S, rowSums, j);
            for (int a = 1; a < r; a++) {
                acc = acc.add(FloatVector.fromArray(S, rowSums, a * g + j)); // += row sum a
            }
            acc.div(count).intoArray(out, oOff + j);
        }
        return j;
    }

    private static int blockRowSums256(float[] out, int oOff, float[] x, int xOff, int[] stride, int r, int g) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int j = 0;
        for (int bound = S.loopBound(g); j < bound; j += S.length()) {
            FloatVector acc = FloatVector.fromArray(S, x, xOff, stride, j); // x[xOff + (j+lane)*r]
            for (int k = 1; k < r; k++) {
                acc = acc.add(FloatVector.fromArray(S, x, xOff + k, stride, j)); // += x[... + k]
            }
            acc.intoArray(out, oOff + j);
        }
        return j;
    }

    private static int blockMean256(float[] out, int oOff, float[] rowSums, int r, int g, float count) {
        VectorSpecies<Float> S = FloatVector.SPECIES_256;
        int j = 0;
        for (int bound = S.loopBound(g); j < bound; j += S.length()) {
            FloatVector acc = FloatVector.fromArray(S, rowSums, j);
            for (int a = 1; a < r; a++) {
                acc = acc.add(FloatVector.fromArray(S, rowSums, a * g + j)); // += row sum a
            }
            acc.div(count).intoArray(out, oOff + j);
        }
        return j;
    }

    private static int blockRowSums128(float[] out, int oOff, float[] x, int xOff, int[] stride, int r, int g) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int j = 0;
        for (int bound = S.loopBound(g); j < bound; j += S.length()) {
            FloatVector acc = FloatVector.fromArray(S, x, xOff, stride, j); // x[xOff + (j+lane)*r]
            for (int k = 1; k < r; k++) {
                acc = acc.add(FloatVector.fromArray(S, x, xOff + k, stride, j)); // += x[... + k]
            }
            acc.intoArray(out, oOff + j);
        }
        return j;
    }

    private static int blockMean128(float[] out, int oOff, float[] rowSums, int r, int g, float count) {
        VectorSpecies<Float> S = FloatVector.SPECIES_128;
        int j = 0;
        for (int bound = S.loopBound(g); j < bound; j += S.length()) {
            FloatVector acc = FloatVector.fromArray(S, rowSums, j);
            for (int a = 1; a < r; a++) {
                acc = acc.add(FloatVector.fromArray(S, rowSums, a * g + j)); // += row sum a
            }
            acc.div(count).intoArray(out, oOff + j);
        }
        return j;
    }
}
