package aclip4j.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Images in a folder, captioned by a TSV file: each line {@code file<TAB>caption}, several lines per file allowed
 * (several captions), blank lines and lines starting with {@code #} ignored, file names relative to the folder.
 *
 * <p>Splits: when the folder has {@code train/captions.tsv} and {@code test/captions.tsv} each split reads its own;
 * otherwise {@code captions.tsv} in the folder holds everything and every tenth distinct file (in order of first
 * appearance, the 10th, 20th, …) is held out for the test split. No classes: zero-shot needs a class-labelled source.
 *
 * <p>Images are decoded with {@code javax.imageio} when asked for (not cached); a missing file or a bad row fails
 * when the data set is opened, an undecodable image when it is read, always naming the file and TSV line.
 */
public final class FolderDataset implements CaptionDataset {
    /** Name of the captions file. */
    public static final String CAPTIONS = "captions.tsv";

    private record Entry(Path file, int line, List<String> captions) {
    }

    private final Path tsv;
    private final Split split;
    private final List<Entry> entries;

    public static FolderDataset open(Path dir, Split split) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("image folder " + dir + " is not a directory");
        }
        Path own = dir.resolve(split == Split.TRAIN ? "train" : "test").resolve(CAPTIONS);
        if (Files.isRegularFile(own)) {
            return new FolderDataset(own, split, false);
        }
        Path shared = dir.resolve(CAPTIONS);
        if (!Files.isRegularFile(shared)) {
            throw new IllegalArgumentException("image folder " + dir + " has no " + CAPTIONS + " (nor "
                    + own + ")");
        }
        return new FolderDataset(shared, split, true);
    }

    private FolderDataset(Path tsv, Split split, boolean holdOutEveryTenth) {
        this.tsv = tsv;
        this.split = split;
        Path dir = tsv.getParent();
        List<String> lines;
        try {
            lines = Files.readAllLines(tsv, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(tsv + ": cannot read (" + e.getMessage() + ")", e);
        }
        Map<String, Entry> byFile = new LinkedHashMap<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            int lineNo = n + 1;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int tab = line.indexOf('\t');
            if (tab < 0) {
                throw new IllegalArgumentException(tsv + " line " + lineNo + ": expected file<TAB>caption, got '"
                        + abbreviate(line) + "'");
            }
            String file = line.substring(0, tab).strip();
            String caption = line.substring(tab + 1).strip();
            if (file.isEmpty()) {
                throw new IllegalArgumentException(tsv + " line " + lineNo + ": empty file name");
            }
            if (caption.isEmpty()) {
                throw new IllegalArgumentException(tsv + " line " + lineNo + ": empty caption for " + file);
            }
            Entry e = byFile.get(file);
            if (e == null) {
                Path p = dir.resolve(file).normalize();
                if (!Files.isRegularFile(p)) {
                    throw new IllegalArgumentException(tsv + " line " + lineNo + ": image file " + p
                            + " does not exist");
                }
                e = new Entry(p, lineNo, new ArrayList<>());
                byFile.put(file, e);
            }
            e.captions().add(caption);
        }
        List<Entry> all = new ArrayList<>(byFile.values());
        List<Entry> mine = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            boolean test = !holdOutEveryTenth || i % 10 == 9;
            if (!holdOutEveryTenth || (test == (split == Split.TEST))) {
                mine.add(all.get(i));
            }
        }
        if (mine.isEmpty()) {
            throw new IllegalArgumentException(tsv + ": no images for the " + split.name().toLowerCase()
                    + " split (" + all.size() + " files listed" + (holdOutEveryTenth
                    ? "; every tenth is held out for test" : "") + ")");
        }
        this.entries = List.copyOf(mine);
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    @Override
    public int size() {
        return entries.size();
    }

    /** The image file of item {@code i}. */
    public Path file(int i) {
        checkIndex(i);
        return entries.get(i).file();
    }

    @Override
    public RgbImage image(int i) {
        checkIndex(i);
        Entry e = entries.get(i);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(e.file());
        } catch (IOException ex) {
            throw new IllegalArgumentException("cannot read image " + e.file() + " (" + tsv + " line " + e.line()
                    + "): " + ex.getMessage(), ex);
        }
        return RgbImage.decode(bytes, e.file() + " (" + tsv + " line " + e.line() + ")");
    }

    @Override
    public List<String> captions(int i) {
        checkIndex(i);
        return List.copyOf(entries.get(i).captions());
    }

    @Override
    public String describe() {
        return "folder " + split.name().toLowerCase() + " " + size() + " images from " + tsv;
    }
}
