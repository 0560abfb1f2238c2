package aclip4j.mask;

import aclip4j.kernel.Lanes;

/**
 * {@link ViewScores} on {@link SimdBilinearResize} (SPEC §5.1): resize, zero-filled crop, resize, per image. The
 * crop only copies values and the resizes are element-wise (no sums), so by docs/SPEC.md §13.1 the scalar
 * specification and every lane width give the same bits.
 */
public final class SimdViewScores implements ViewScores {
    private final SimdBilinearResize resize;

    public SimdViewScores() {
        this(Lanes.preferred());
    }

    public SimdViewScores(Lanes lanes) {
        this.resize = new SimdBilinearResize(lanes);
    }

    @Override
    public float[] viewScores(float[] scoreMap, int B, int Ge, int[] emaBox, int[] viewBox, int G) {
        // scoreMap is (B,Ge,Ge); boxes are (B,4); out is (B,G,G)
        Checks.atLeast(1, "B, Ge, G", B, Ge, G);
        Checks.length("score map", scoreMap.length, "[B,Ge,Ge]", B, Ge, Ge);
        Checks.boxes("ema_box", emaBox, B);
        Checks.boxes("view_box", viewBox, B);
        float[] out = new float[B * G * G];
        float[] map = new float[Ge * Ge];
        for (int b = 0; b < B; b++) {
            int he = emaBox[4 * b + 2];
            int we = emaBox[4 * b + 3];
            int dy = viewBox[4 * b] - emaBox[4 * b];         // view top in R's rows
            int dx = viewBox[4 * b + 1] - emaBox[4 * b + 1]; // view left in R's columns
            int hv = viewBox[4 * b + 2];
            int wv = viewBox[4 * b + 3];
            System.arraycopy(scoreMap, b * Ge * Ge, map, 0, Ge * Ge);
            float[] r = resize.resize(map, 1, Ge, Ge, he, we);                  // (he,we) in EMA-box pixels
            float[] c = new float[hv * wv];                                     // (hv,wv), 0 outside R
            int rowLo = Math.max(0, -dy);
            int rowHi = Math.min(hv, he - dy);
            int colLo = Math.max(0, -dx);
            int colHi = Math.min(wv, we - dx);
            for (int i = rowLo; i < rowHi && colLo < colHi; i++) {
                System.arraycopy(r, (dy + i) * we + dx + colLo, c, i * wv + colLo, colHi - colLo);
            }
            float[] sv = resize.resize(c, 1, hv, wv, G, G);                     // (G,G)
            System.arraycopy(sv, 0, out, b * G * G, G * G);
        }
        return out;
    }
}
