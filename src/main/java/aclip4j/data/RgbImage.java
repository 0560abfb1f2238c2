package aclip4j.data;

import java.awt.image.BufferedImage;

/**
 * An RGB image as the data pipeline passes it around: {@code chw} is {@code [3,H,W]} row-major, values in
 * {@code [0,1]} before normalisation (SPEC §4, §9).
 *
 * @param chw    pixels, channel-major: {@code chw[c*H*W + y*W + x]}
 * @param height H
 * @param width  W
 */
public record RgbImage(float[] chw, int height, int width) {
    public RgbImage {
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("image size " + height + "x" + width + " must be positive");
        }
        if (chw == null || chw.length != 3L * height * width) {
            throw new IllegalArgumentException("image data has " + (chw == null ? "null" : chw.length)
                    + " floats, expected 3*" + height + "*" + width + " = " + 3L * height * width);
        }
    }

    /** A black image. */
    public static RgbImage zeros(int height, int width) {
        return new RgbImage(new float[3 * height * width], height, width);
    }

    /** {@code chw[c][y][x]}. */
    public float get(int c, int y, int x) {
        return chw[(c * height + y) * width + x];
    }

    /** A {@code TYPE_INT_RGB} view for saving or looking at (values clamped to [0,1], rounded to 8 bits). */
    public BufferedImage toBufferedImage() {
        return ImageOps.toBufferedImage(this);
    }

    /**
     * Decodes an encoded image (PNG, JPEG, BMP, GIF: what {@code javax.imageio} reads); {@code what} names it in the
     * one-line error when the bytes are not such an image.
     */
    public static RgbImage decode(byte[] encoded, String what) {
        BufferedImage img;
        try {
            img = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(encoded));
        } catch (java.io.IOException | RuntimeException e) {
            img = null;
        }
        if (img == null) {
            throw new IllegalArgumentException("cannot decode image " + what
                    + ": not a format javax.imageio reads (PNG, JPEG, BMP, GIF)");
        }
        return of(img);
    }

    /** Reads any {@link BufferedImage} (grey, indexed, RGB, ARGB; alpha is ignored) into [0,1] RGB. */
    public static RgbImage of(BufferedImage img) {
        return ImageOps.fromBufferedImage(img);
    }
}
