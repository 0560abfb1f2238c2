package aclip4j.data;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;

/**
 * Small image operations for the data pipeline: bilinear crop-and-resize of CHW float images and conversion from and to
 * {@link BufferedImage}. (The score-map resize of SPEC §5.1 lives with the masking code; this one is for RGB pixels
 * and follows the same sampling rule.)
 */
public final class ImageOps {
    private ImageOps() {
    }

    /**
     * Crops box {@code (top, left, h, w)} of {@code src} and resizes it to {@code outH x outW}, bilinear with
     * align_corners=false and no antialiasing (torchvision's tensor {@code resized_crop} with antialias off, SPEC §4.1).
     * One axis samples source coordinate {@code s = max(0, (d + 0.5) * in/out - 0.5)} inside the crop,
     * {@code i0 = floor(s)}, {@code i1 = min(i0 + 1, in - 1)}, {@code λ = s - i0} (SPEC §5.1).
     *
     * <p>src is [C,H,W]; dst receives [C,outH,outW] at {@code dstOffset}. The box must lie inside the image.
     */
    public static void resizeCrop(float[] src, int C, int H, int W, int top, int left, int h, int w,
                                  int outH, int outW, float[] dst, int dstOffset) {
        if (src.length != (long) C * H * W) {
            throw new IllegalArgumentException("source has " + src.length + " floats, expected " + C + "*" + H + "*" + W);
        }
        checkBox(H, W, top, left, h, w);
        if (outH <= 0 || outW <= 0) {
            throw new IllegalArgumentException("output size " + outH + "x" + outW + " must be positive");
        }
        if (dstOffset < 0 || dst.length - dstOffset < (long) C * outH * outW) {
            throw new IllegalArgumentException("destination of " + dst.length + " floats at offset " + dstOffset
                    + " cannot hold " + C + "x" + outH + "x" + outW);
        }
        int[] y0 = new int[outH], y1 = new int[outH];
        float[] ly = new float[outH];
        axis(h, outH, y0, y1, ly);
        int[] x0 = new int[outW], x1 = new int[outW];
        float[] lx = new float[outW];
        axis(w, outW, x0, x1, lx);
        for (int c = 0; c < C; c++) {
            int plane = c * H * W;
            int outPlane = dstOffset + c * outH * outW;
            for (int oy = 0; oy < outH; oy++) {
                int rowA = plane + (top + y0[oy]) * W + left;
                int rowB = plane + (top + y1[oy]) * W + left;
                float wy = ly[oy];
                for (int ox = 0; ox < outW; ox++) {
                    float wx = lx[ox];
                    float a = src[rowA + x0[ox]], b = src[rowA + x1[ox]];
                    float cc = src[rowB + x0[ox]], d = src[rowB + x1[ox]];
                    dst[outPlane + oy * outW + ox] =
                            (1 - wy) * ((1 - wx) * a + wx * b) + wy * ((1 - wx) * cc + wx * d);
                }
            }
        }
    }

    /** Crop-and-resize of an RGB image (see {@link #resizeCrop(float[], int, int, int, int, int, int, int, int, int, float[], int)}). */
    public static RgbImage resizeCrop(RgbImage src, int top, int left, int h, int w, int outH, int outW) {
        float[] out = new float[3 * outH * outW];
        resizeCrop(src.chw(), 3, src.height(), src.width(), top, left, h, w, outH, outW, out, 0);
        return new RgbImage(out, outH, outW);
    }

    /** Whole-image bilinear resize. */
    public static RgbImage resize(RgbImage src, int outH, int outW) {
        return resizeCrop(src, 0, 0, src.height(), src.width(), outH, outW);
    }

    static void checkBox(int H, int W, int top, int left, int h, int w) {
        if (h <= 0 || w <= 0 || top < 0 || left < 0 || (long) top + h > H || (long) left + w > W) {
            throw new IllegalArgumentException("box (top " + top + ", left " + left + ", h " + h + ", w " + w
                    + ") must be non-empty and inside the " + H + "x" + W + " image");
        }
    }

    // One axis of the SPEC §5.1 sampling rule; the scale is computed in double then the weight rounded to float,
    // which matches PyTorch's float32 result to within an ulp for the sizes used here.
    private static void axis(int in, int out, int[] i0, int[] i1, float[] lambda) {
        double scale = (double) in / out;
        for (int d = 0; d < out; d++) {
            double s = Math.max(0.0, (d + 0.5) * scale - 0.5);
            int a = Math.min((int) Math.floor(s), in - 1);
            i0[d] = a;
            i1[d] = Math.min(a + 1, in - 1);
            lambda[d] = (float) (s - a);
        }
    }

    static BufferedImage toBufferedImage(RgbImage img) {
        int H = img.height(), W = img.width(), plane = H * W;
        float[] p = img.chw();
        BufferedImage out = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int i = y * W + x;
                out.setRGB(x, y, (to8(p[i]) << 16) | (to8(p[plane + i]) << 8) | to8(p[2 * plane + i]));
            }
        }
        return out;
    }

    private static int to8(float v) {
        if (!(v > 0)) {
            return 0; // NaN and negatives
        }
        return v >= 1 ? 255 : Math.round(v * 255f);
    }

    static RgbImage fromBufferedImage(BufferedImage img) {
        int H = img.getHeight(), W = img.getWidth(), plane = H * W;
        float[] out = new float[3 * plane];
        int type = img.getType();
        if (type == BufferedImage.TYPE_BYTE_GRAY || type == BufferedImage.TYPE_USHORT_GRAY) {
            // getRGB would pass grey through a linear-to-sRGB conversion and brighten it; read the stored samples.
            Raster r = img.getRaster();
            double max = type == BufferedImage.TYPE_BYTE_GRAY ? 255.0 : 65535.0;
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    float g = (float) (r.getSample(x, y, 0) / max);
                    int i = y * W + x;
                    out[i] = g;
                    out[plane + i] = g;
                    out[2 * plane + i] = g;
                }
            }
            return new RgbImage(out, H, W);
        }
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int rgb = img.getRGB(x, y);
                int i = y * W + x;
                out[i] = ((rgb >> 16) & 0xff) / 255f;
                out[plane + i] = ((rgb >> 8) & 0xff) / 255f;
                out[2 * plane + i] = (rgb & 0xff) / 255f;
            }
        }
        return new RgbImage(out, H, W);
    }
}
