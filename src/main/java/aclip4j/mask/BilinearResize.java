package aclip4j.mask;

/**
 * Bilinear resize as SPEC §5.1 defines it (PyTorch {@code interpolate(mode='bilinear', align_corners=False)},
 * no antialias, float32): the score-map resampling of §5.1 and the position-embedding resampling of §1.7.
 *
 * <p>One axis from {@code in} to {@code out} samples, for output index {@code d}: with the float32 scale
 * {@code s = (float) in / out}, {@code src = max(0, (d + 0.5) * s - 0.5)}, {@code i0 = floor(src)},
 * {@code i1 = min(i0 + 1, in - 1)}, {@code λ = src - i0}. The 2-D value is
 * {@code (1-λy)*((1-λx)*a + λx*b) + λy*((1-λx)*c + λx*d)} with {@code a = x[y0][x0]}, {@code b = x[y0][x1]},
 * {@code c = x[y1][x0]}, {@code d = x[y1][x1]}. Resizing to the same size returns the input.
 *
 * <p>Shapes: {@code x [P,Hin,Win] -> y [P,Hout,Wout]}, where {@code P} is every leading dimension flattened
 * (e.g. {@code B*C} for a {@code [B,C,Hin,Win]} batch). Inputs must be finite.
 */
public interface BilinearResize {
    /**
     * @param x [P,inH,inW] row-major
     * @return y [P,outH,outW]
     */
    float[] resize(float[] x, int P, int inH, int inW, int outH, int outW);

    /** One axis's sampling positions (§5.1), computed in float32 as PyTorch does. */
    record Axis(int[] i0, int[] i1, float[] lambda) {
        /** Samples for resizing {@code in} points to {@code out}. */
        public static Axis of(int in, int out) {
            if (in < 1 || out < 1) {
                throw new IllegalArgumentException("resize sizes must be >= 1, got in=" + in + " out=" + out);
            }
            float scale = (float) in / out;
            int[] i0 = new int[out];
            int[] i1 = new int[out];
            float[] lambda = new float[out];
            for (int d = 0; d < out; d++) {
                float src = Math.max(0f, (d + 0.5f) * scale - 0.5f);
                int lo = Math.min((int) src, in - 1); // src >= 0, so the cast is floor
                i0[d] = lo;
                i1[d] = Math.min(lo + 1, in - 1);
                lambda[d] = src - lo;
            }
            return new Axis(i0, i1, lambda);
        }
    }
}
