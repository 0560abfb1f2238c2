package aclip4j.data;

import java.nio.file.Path;

/**
 * Where training and evaluation data come from, as the user names it:
 * {@code scenes} (the built-in procedural set, no files), {@code mnist:DIR}, {@code fashion-mnist:DIR} (DIR holds the
 * standard IDX file names) or {@code folder:DIR} (images plus {@code captions.tsv}, see {@link FolderDataset}).
 *
 * @param kind which reader
 * @param path the directory, null for scenes
 */
public record DataSource(Kind kind, Path path) {
    public enum Kind { SCENES, MNIST, FASHION_MNIST, FOLDER, WDS, CSV }

    /**
     * How to open a source.
     *
     * @param seed       seed of procedural content (scenes; digit placement on the canvas)
     * @param imageSize  scene side; canvas side for IDX images (0 = native 28x28); ignored by folders
     * @param trainCount scenes in the train split
     * @param testCount  scenes in the held-out split
     */
    public record Options(long seed, int imageSize, int trainCount, int testCount) {
        public Options {
            if (imageSize < 0 || trainCount <= 0 || testCount <= 0) {
                throw new IllegalArgumentException("bad data options: imageSize " + imageSize + ", trainCount "
                        + trainCount + ", testCount " + testCount);
            }
        }

        /** Seed 0, 64x64 images, 20000 train and 2000 held-out scenes. */
        public static Options defaults() {
            return new Options(0, 64, 20000, 2000);
        }
    }

    public DataSource {
        if (kind == null || (kind != Kind.SCENES && path == null)) {
            throw new IllegalArgumentException("data source " + kind + " needs a path");
        }
    }

    /** Parses "scenes", "mnist:PATH", "fashion-mnist:PATH", "folder:PATH", "wds:SHARDS", "csv:FILE[::img=K::caption=K::sep=S]". */
    public static DataSource parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty data source; expected scenes, mnist:PATH, fashion-mnist:PATH"
                    + ", folder:PATH, wds:SHARDS or csv:FILE");
        }
        String s = spec.strip();
        if (s.equals("scenes")) {
            return new DataSource(Kind.SCENES, null);
        }
        int colon = s.indexOf(':');
        String name = colon < 0 ? s : s.substring(0, colon);
        String path = colon < 0 ? "" : s.substring(colon + 1);
        Kind kind = switch (name) {
            case "mnist" -> Kind.MNIST;
            case "fashion-mnist", "fashion_mnist", "fashionmnist" -> Kind.FASHION_MNIST;
            case "folder" -> Kind.FOLDER;
            case "wds" -> Kind.WDS;
            case "csv" -> Kind.CSV;
            case "scenes" -> throw new IllegalArgumentException("data source 'scenes' takes no path, got '"
                    + spec + "'");
            default -> throw new IllegalArgumentException("unknown data source '" + spec
                    + "'; expected scenes, mnist:PATH, fashion-mnist:PATH, folder:PATH, wds:SHARDS or csv:FILE");
        };
        if (path.isEmpty()) {
            throw new IllegalArgumentException("data source '" + spec + "' needs a path: " + name + ":PATH");
        }
        return new DataSource(kind, Path.of(path));
    }

    /** Opens one split. */
    public Dataset open(Split split, Options opt) {
        return switch (kind) {
            case SCENES -> new ScenesDataset(opt.seed(), split, split == Split.TRAIN ? opt.trainCount()
                    : opt.testCount(), opt.imageSize() == 0 ? 64 : opt.imageSize(),
                    opt.imageSize() == 0 ? 64 : opt.imageSize());
            case MNIST -> IdxDataset.open(IdxDataset.Kind.MNIST, path, split, opt.imageSize(), opt.seed());
            case FASHION_MNIST -> IdxDataset.open(IdxDataset.Kind.FASHION_MNIST, path, split, opt.imageSize(),
                    opt.seed());
            case FOLDER -> FolderDataset.open(path, split);
            case WDS -> WebDatasetDataset.open(path.toString(), split);
            case CSV -> CsvDataset.open(path.toString(), split);
        };
    }

    @Override
    public String toString() {
        return kind == Kind.SCENES ? "scenes" : kind.name().toLowerCase().replace('_', '-') + ":" + path;
    }
}
