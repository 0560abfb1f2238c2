package aclip4j.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * MNIST or Fashion-MNIST from a directory holding the standard IDX files ({@code train-images-idx3-ubyte[.gz]},
 * {@code train-labels-idx1-ubyte[.gz]}, {@code t10k-…} for the test split; the {@code .idx3-ubyte} spelling is
 * accepted too). Grey becomes RGB (three equal channels). With a canvas larger than the 28x28 digit, each image is
 * pasted at a position that is a pure function of (seed, split, i) on a black canvas, and the captions say where:
 * the same "small object, cluttered context" setting as {@link ScenesDataset}, with real shapes.
 */
public final class IdxDataset implements Dataset {
    /** Which IDX data set: decides class names and templates. */
    public enum Kind {
        MNIST(List.of("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
                List.of("a photo of the number {}.", "a photo of the digit {}.", "a handwritten {}.",
                        "the number {} written by hand.")),
        FASHION_MNIST(List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                "Bag", "Ankle boot"),
                List.of("a photo of a {}.", "a black and white photo of a {}.", "a low resolution photo of a {}.",
                        "a photo of the {}, a type of clothing."));

        final List<String> classNames;
        final List<String> templates;

        Kind(List<String> classNames, List<String> templates) {
            this.classNames = classNames;
            this.templates = templates;
        }
    }

    private static final String[][] WHERE = {
            {"at the top left", "at the top", "at the top right"},
            {"on the left", "in the center", "on the right"},
            {"at the bottom left", "at the bottom", "at the bottom right"}};

    private final Kind kind;
    private final Split split;
    private final long seed;
    private final int canvas;
    private final IdxReader.Images images;
    private final int[] labels;
    private final String where;

    /**
     * Opens one split.
     *
     * @param dir    directory with the IDX files
     * @param canvas output side; 0 or the native size keeps the native image, larger pastes it on a black canvas
     * @param seed   position seed (only used with a larger canvas)
     */
    public static IdxDataset open(Kind kind, Path dir, Split split, int canvas, long seed) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(kind + " path " + dir + " is not a directory");
        }
        String prefix = split == Split.TRAIN ? "train" : "t10k";
        Path img = find(dir, prefix, "images", "idx3");
        Path lab = find(dir, prefix, "labels", "idx1");
        IdxReader.Images images = IdxReader.readImages(img);
        int[] labels = IdxReader.readLabels(lab);
        return new IdxDataset(kind, split, seed, canvas, images, labels, img + " / " + lab);
    }

    /** From already-read arrays (tests, or files under other names). */
    public IdxDataset(Kind kind, Split split, long seed, int canvas, IdxReader.Images images, int[] labels,
                      String where) {
        if (images.count() != labels.length) {
            throw new IllegalArgumentException(where + ": " + images.count() + " images but " + labels.length
                    + " labels");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] >= kind.classNames.size()) {
                throw new IllegalArgumentException(where + ": label " + labels[i] + " of image " + i
                        + " is not a class index in [0, " + kind.classNames.size() + ")");
            }
        }
        if (canvas != 0 && (canvas < images.rows() || canvas < images.cols())) {
            throw new IllegalArgumentException("canvas " + canvas + " is smaller than the " + images.rows() + "x"
                    + images.cols() + " images of " + where);
        }
        this.kind = kind;
        this.split = split;
        this.seed = seed;
        this.canvas = canvas;
        this.images = images;
        this.labels = labels;
        this.where = where;
    }

    private static Path find(Path dir, String prefix, String what, String idx) {
        List<Path> tried = new ArrayList<>();
        for (String name : new String[]{prefix + "-" + what + "-" + idx + "-ubyte", prefix + "-" + what + "." + idx
                + "-ubyte"}) {
            for (String ext : new String[]{"", ".gz"}) {
                Path p = dir.resolve(name + ext);
                if (Files.isRegularFile(p)) {
                    return p;
                }
                tried.add(p.getFileName());
            }
        }
        throw new IllegalArgumentException("no " + prefix + " " + what + " file in " + dir + " (looked for " + tried
                + ")");
    }

    public Kind kind() {
        return kind;
    }

    @Override
    public int size() {
        return labels.length;
    }

    /** Output height and width: the canvas, or the native size. */
    public int side() {
        return canvas == 0 ? Math.max(images.rows(), images.cols()) : canvas;
    }

    private boolean pasted() {
        return canvas != 0 && (canvas != images.rows() || canvas != images.cols());
    }

    // Top-left corner of image i on the canvas; uniform over all positions that keep it whole.
    private int[] offset(int i) {
        if (!pasted()) {
            return new int[]{0, 0};
        }
        SplittableRandom rng = Seeds.rng(seed, split.streamId, i);
        return new int[]{rng.nextInt(canvas - images.rows() + 1), rng.nextInt(canvas - images.cols() + 1)};
    }

    @Override
    public RgbImage image(int i) {
        checkIndex(i);
        int rows = images.rows(), cols = images.cols();
        int H = pasted() ? canvas : rows, W = pasted() ? canvas : cols, plane = H * W;
        int[] at = offset(i);
        float[] px = new float[3 * plane];
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) {
                float v = images.pixel(i, y, x) / 255f;
                int p = (at[0] + y) * W + at[1] + x;
                px[p] = v;
                px[plane + p] = v;
                px[2 * plane + p] = v;
            }
        }
        return new RgbImage(px, H, W);
    }

    /**
     * On a canvas, the item's own pixels: those of its 28x28 image at {@value #INK} of full intensity or more (the IDX
     * images are black outside the digit or garment); null at the native size, where the item is the whole image.
     */
    @Override
    public Coverage objectCoverage(int i) {
        checkIndex(i);
        if (!pasted()) {
            return null;
        }
        int rows = images.rows(), cols = images.cols(), side = canvas;
        int[] at = offset(i);
        float[] cov = new float[side * side];
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) {
                if (images.pixel(i, y, x) >= INK * 255) {
                    cov[(at[0] + y) * side + at[1] + x] = 1f;
                }
            }
        }
        return new Coverage(cov, side, side);
    }

    /** Intensity from which an IDX pixel counts as part of the item. */
    static final double INK = 0.1;

    @Override
    public List<String> captions(int i) {
        checkIndex(i);
        String name = kind.classNames.get(labels[i]);
        List<String> out = new ArrayList<>();
        for (String t : kind.templates) {
            out.add(Templates.fill(t, name));
        }
        if (pasted()) {
            int[] at = offset(i);
            int row = (int) ((at[0] + images.rows() / 2.0) * 3 / canvas);
            int col = (int) ((at[1] + images.cols() / 2.0) * 3 / canvas);
            out.add(0, Templates.fill("a {} " + WHERE[Math.min(row, 2)][Math.min(col, 2)] + ".", name));
        }
        return out;
    }

    @Override
    public int label(int i) {
        checkIndex(i);
        return labels[i];
    }

    @Override
    public List<String> classNames() {
        return kind.classNames;
    }

    @Override
    public List<String> templates() {
        return kind.templates;
    }

    @Override
    public String describe() {
        return kind.name().toLowerCase().replace('_', '-') + " " + split.name().toLowerCase() + " " + size()
                + " images " + side() + "x" + side() + " from " + where;
    }
}
