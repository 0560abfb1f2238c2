package aclip4j.data;

import java.util.SplittableRandom;

/**
 * Renders the views of one training image (SPEC §4): each online view is its box resized to {@code S x S} then
 * augmented and normalised (§9); the EMA view is the EMA box resized to {@code Se x Se} and only normalised (§4.4).
 * Boxes are {@code {top, left, h, w}} in source pixels, drawn elsewhere (the box sampler of §4.1–4.3).
 */
public final class Views {
    private Views() {
    }

    /** The views of one image: {@code online[v]} is {@code [3,S,S]}, {@code ema} is {@code [3,Se,Se]} (or null). */
    public record Sample(float[][] online, float[] ema) {
    }

    /** Box {@code {top, left, h, w}} of {@code img} resized bilinearly to {@code [3,size,size]}, no augmentation. */
    public static float[] crop(RgbImage img, int[] box, int size) {
        checkBoxShape(box);
        float[] out = new float[3 * size * size];
        ImageOps.resizeCrop(img.chw(), 3, img.height(), img.width(), box[0], box[1], box[2], box[3], size, size,
                out, 0);
        return out;
    }

    /**
     * All views of one image.
     *
     * @param boxes  {@code [V][4]} online view boxes
     * @param S      online view side
     * @param emaBox EMA box, or null when the variant has no EMA view
     * @param Se     EMA view side
     * @param aug    augmentation of the online views
     * @param rng    the image's generator (used by the augmentation, view after view)
     */
    public static Sample render(RgbImage img, int[][] boxes, int S, int[] emaBox, int Se, Augment aug,
                                SplittableRandom rng) {
        if (boxes.length == 0) {
            throw new IllegalArgumentException("need at least one view box");
        }
        float[][] online = new float[boxes.length][];
        for (int v = 0; v < boxes.length; v++) {
            float[] x = crop(img, boxes[v], S);
            aug.apply(x, S, S, rng);
            Augment.normalize(x, S, S);
            online[v] = x;
        }
        float[] ema = null;
        if (emaBox != null) {
            ema = crop(img, emaBox, Se);
            Augment.normalize(ema, Se, Se);
        }
        return new Sample(online, ema);
    }

    private static void checkBoxShape(int[] box) {
        if (box == null || box.length != 4) {
            throw new IllegalArgumentException("a box is {top, left, h, w}, got "
                    + (box == null ? "null" : java.util.Arrays.toString(box)));
        }
    }
}
