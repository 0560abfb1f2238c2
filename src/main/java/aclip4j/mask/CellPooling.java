package aclip4j.mask;

/**
 * Pooling of a view's patch scores into mask cells, SPEC §5.2 (Table 2 "mask patch size 32"): the mean of each
 * {@code r x r} block of the {@code G x G} map, {@code r = c/p} patches per cell side. {@code r = 1} (cell = patch)
 * returns the map unchanged. The official code's {@code 14 -> 7} bilinear resize is exactly this mean for
 * {@code r = 2}.
 *
 * <p>Summation order: the {@code r} values of each row of a block left to right, then those {@code r} row sums
 * top to bottom, divided by {@code r*r}; for {@code r = 2} that is the official bilinear result bit for bit.
 *
 * <p>Shapes: {@code scores [B,G,G] -> cells [B,g,g]}, {@code g = G/r}; {@code G} must be a multiple of {@code r}.
 */
public interface CellPooling {
    /**
     * @param scores [B,G,G]
     * @param r      patches per cell side, {@code >= 1}, dividing {@code G}
     * @return [B,g,g]
     */
    float[] pool(float[] scores, int B, int G, int r);

    /** The cell grid side {@code g = G/r}, refusing an {@code r} that does not divide {@code G}. */
    static int cellGrid(int G, int r) {
        if (G < 1 || r < 1) {
            throw new IllegalArgumentException("cell pooling needs G >= 1 and r >= 1, got G=" + G + " r=" + r);
        }
        if (G % r != 0) {
            throw new IllegalArgumentException("grid G=" + G + " is not divisible by cell r=" + r
                    + " patches per side; expected r to divide G");
        }
        return G / r;
    }
}
