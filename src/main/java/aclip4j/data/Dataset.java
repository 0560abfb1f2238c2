package aclip4j.data;

import java.util.List;

/**
 * An image–caption data set for A-CLIP training and evaluation (SPEC §4, §11).
 *
 * <p>Images come as {@link RgbImage} ({@code [3,H,W]} in [0,1]); a data set may hold images of different sizes (an
 * image folder). Captions: one or more per image (several for retrieval, §11). Labels and class names are for
 * zero-shot classification; a data set without classes returns an empty {@link #classNames()} and label -1.
 * Implementations are deterministic: {@code image(i)} and {@code captions(i)} depend only on how the data set was
 * opened (its path, seed and split) and on {@code i}, and safe to call from several threads at once: training makes
 * the images of a batch in parallel.
 */
public interface Dataset {
    /** Number of images. */
    int size();

    /** Image {@code i}, {@code 0 <= i < size()}. */
    RgbImage image(int i);

    /** Captions of image {@code i}, at least one. */
    List<String> captions(int i);

    /** Class index of image {@code i} into {@link #classNames()}, or -1 when the data set has no classes. */
    int label(int i);

    /** Class names for zero-shot prompts; empty when the data set has no classes. */
    List<String> classNames();

    /** Prompt templates with one {@code {}} for the class name (filled by {@link Templates#fill}). */
    List<String> templates();

    /**
     * Where the captioned object of image {@code i} is: the fraction of each of its pixels the object covers,
     * {@code [height*width]} row-major at the size of {@link #image}; null when the data set does not know (then
     * training logs no object share, {@code eval/ObjectShare}).
     */
    default Coverage objectCoverage(int i) {
        return null;
    }

    /** Per-pixel object coverage in [0, 1] of an image of {@code height x width}. */
    record Coverage(float[] values, int height, int width) {
        public Coverage {
            if (height < 1 || width < 1 || values.length != height * width) {
                throw new IllegalArgumentException("coverage has " + values.length + " values for a " + height + "x"
                        + width + " image");
            }
        }
    }

    /** A short description for logs ("scenes train 20000 images 64x64"). */
    String describe();

    /** @throws IllegalArgumentException when {@code i} is out of range */
    default void checkIndex(int i) {
        if (i < 0 || i >= size()) {
            throw new IllegalArgumentException("image index " + i + " out of range [0, " + size() + ")");
        }
    }

    /** Every prompt for class {@code c}: each template filled with the class name. */
    default List<String> prompts(int c) {
        String name = classNames().get(c);
        return templates().stream().map(t -> Templates.fill(t, name)).toList();
    }
}
