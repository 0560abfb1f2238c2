package aclip4j.eval;

/**
 * The paper's Figure 4 claim as a number: of the captioned object's pixels inside a view, the share that the view's
 * kept patch tokens hold. If the EMA tower's attention finds the objects the captions name, attentive masks keep
 * far more of them than random masks, whose expected share is the kept fraction of the tokens.
 *
 * <p>A view is the box {@code (top, left, h, w)} of the source image resized to {@code S x S}; view pixel
 * {@code (y, x)} shows source pixel {@code (floor(top + (y + 0.5) h / S), floor(left + (x + 0.5) w / S))}. The object's
 * mass in patch {@code (i, j)} (token {@code i * G + j}, {@code G = S / p}) is the sum of the source coverage (the
 * fraction of each pixel the object covers) over the patch's {@code p x p} view pixels.
 */
public final class ObjectShare {
    private ObjectShare() {}

    /**
     * The object's mass per patch token of one view, [G*G].
     *
     * @param coverage [H*W] fraction of each source pixel the object covers
     * @param box      the view's box in source pixels: top, left, height, width
     * @param S        view side in pixels
     * @param p        patch side in pixels
     */
    public static double[] patchMass(float[] coverage, int H, int W, int[] box, int S, int p) {
        if (coverage.length != H * W) {
            throw new IllegalArgumentException("coverage has " + coverage.length + " values, expected H*W = " + H * W);
        }
        if (box.length != 4 || box[2] < 1 || box[3] < 1) {
            throw new IllegalArgumentException("box must be (top, left, h, w) with h, w >= 1");
        }
        if (S < 1 || p < 1 || S % p != 0) {
            throw new IllegalArgumentException("view side S = " + S + " must be a positive multiple of the patch " + p);
        }
        int G = S / p;
        double[] mass = new double[G * G];
        for (int y = 0; y < S; y++) {
            int sy = Math.min(H - 1, Math.max(0, (int) Math.floor(box[0] + (y + 0.5) * box[2] / S)));
            for (int x = 0; x < S; x++) {
                int sx = Math.min(W - 1, Math.max(0, (int) Math.floor(box[1] + (x + 0.5) * box[3] / S)));
                mass[(y / p) * G + x / p] += coverage[sy * W + sx];
            }
        }
        return mass;
    }

    /**
     * The share of the object's mass held by the kept tokens {@code keep[from .. from+K)}; NaN when the view shows
     * less than {@code minMass} of the object (nothing to keep).
     */
    public static double keptShare(double[] mass, int[] keep, int from, int K, double minMass) {
        double all = 0;
        for (double m : mass) {
            all += m;
        }
        if (!(all >= minMass)) {
            return Double.NaN;
        }
        double kept = 0;
        for (int k = from; k < from + K; k++) {
            int t = keep[k];
            if (t < 0 || t >= mass.length) {
                throw new IllegalArgumentException("kept token " + t + " outside the " + mass.length + " patch tokens");
            }
            kept += mass[t];
        }
        return kept / all;
    }
}
