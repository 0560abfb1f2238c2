package aclip4j.data;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An image–caption table, the open_clip {@code --csv-img-key filepath --csv-caption-key title} convention: a header
 * row naming the columns, then one row per image; image paths relative to the table's folder (or absolute).
 * {@code --data csv:FILE} reads the columns {@code filepath} and {@code title} separated by tabs (open_clip's
 * defaults); {@code train --csv-img-key K --csv-caption-key K --csv-separator tab|comma|C} choose others, written into
 * the source as {@code csv:FILE::img=K::caption=K::sep=S} so that eval and resume read the table the same way.
 * Fields may be double-quoted (RFC 4180, {@code ""} for a quote) but not span lines.
 *
 * <p>Streamed: opening reads the table once, checks every row and keeps the byte offset of each; a row is parsed
 * again and its image decoded when asked. Every tenth row is held out for the test split.
 */
public final class CsvDataset implements CaptionDataset {
    private final Path file;
    private final Split split;
    private final char sep;
    private final int imgColumn, captionColumn, columns;
    private final long[] offsets;
    private final int[] lines;

    /** Parses {@code FILE[::img=K][::caption=K][::sep=tab|comma|C]} and opens one split. */
    public static CsvDataset open(String spec, Split split) {
        String[] parts = spec.split("::");
        String img = "filepath", caption = "title";
        char sep = '\t';
        for (int k = 1; k < parts.length; k++) {
            String p = parts[k];
            int eq = p.indexOf('=');
            String key = eq < 0 ? p : p.substring(0, eq), value = eq < 0 ? "" : p.substring(eq + 1);
            switch (key) {
                case "img" -> img = value;
                case "caption" -> caption = value;
                case "sep" -> sep = separator(value);
                default -> throw new IllegalArgumentException("csv source option '" + p + "' is not img=, caption="
                        + " or sep=");
            }
        }
        return new CsvDataset(Path.of(parts[0]), split, img, caption, sep);
    }

    /** {@code tab}, {@code comma} or one character. */
    public static char separator(String s) {
        return switch (s) {
            case "tab", "\\t", "\t" -> '\t';
            case "comma", "," -> ',';
            default -> {
                if (s.length() != 1) {
                    throw new IllegalArgumentException("csv separator '" + s + "' must be tab, comma or one character");
                }
                yield s.charAt(0);
            }
        };
    }

    private CsvDataset(Path file, Split split, String imgKey, String captionKey, char sep) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("csv table " + file + " does not exist");
        }
        this.file = file;
        this.split = split;
        this.sep = sep;
        List<Long> at = new ArrayList<>();
        List<Integer> lineNo = new ArrayList<>();
        int img = -1, cap = -1, cols = -1;
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            int n = 0, row = 0;
            while (true) {
                long start = f.getFilePointer();
                String line = readLine(f);
                if (line == null) {
                    break;
                }
                n++;
                if (line.isBlank()) {
                    continue;
                }
                List<String> fields = fields(line, sep, file, n);
                if (cols < 0) {
                    cols = fields.size();
                    img = fields.indexOf(imgKey);
                    cap = fields.indexOf(captionKey);
                    if (img < 0 || cap < 0) {
                        throw new IllegalArgumentException(file + ": the header " + fields + " lacks the "
                                + (img < 0 ? "image column '" + imgKey + "'" : "caption column '" + captionKey + "'")
                                + " (choose with --csv-img-key / --csv-caption-key, --csv-separator)");
                    }
                    continue;
                }
                if (fields.size() != cols) {
                    throw new IllegalArgumentException(file + " line " + n + ": " + fields.size() + " fields, the header"
                            + " has " + cols);
                }
                if (fields.get(img).isBlank()) {
                    throw new IllegalArgumentException(file + " line " + n + ": empty image path");
                }
                if (fields.get(cap).isBlank()) {
                    throw new IllegalArgumentException(file + " line " + n + ": empty caption for " + fields.get(img));
                }
                if ((row % 10 == 9) == (split == Split.TEST)) {
                    at.add(start);
                    lineNo.add(n);
                }
                row++;
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read csv table " + file + ": " + e.getMessage(), e);
        }
        if (cols < 0) {
            throw new IllegalArgumentException("csv table " + file + " is empty: expected a header row");
        }
        if (at.isEmpty()) {
            throw new IllegalArgumentException(file + ": no rows for the " + split.name().toLowerCase()
                    + " split (every tenth row is held out for test)");
        }
        this.imgColumn = img;
        this.captionColumn = cap;
        this.columns = cols;
        this.offsets = at.stream().mapToLong(Long::longValue).toArray();
        this.lines = lineNo.stream().mapToInt(Integer::intValue).toArray();
    }

    // One line as UTF-8 (RandomAccessFile.readLine reads Latin-1), without its \n or \r\n; null at the end.
    private static String readLine(RandomAccessFile f) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        int c;
        boolean any = false;
        while ((c = f.read()) >= 0) {
            any = true;
            if (c == '\n') {
                break;
            }
            b.write(c);
        }
        if (!any) {
            return null;
        }
        String s = b.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /** The fields of one line; double quotes group (with {@code ""} for a quote). */
    static List<String> fields(String line, char sep, Path file, int n) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        cur.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    cur.append(c);
                }
            } else if (c == '"' && cur.length() == 0) {
                quoted = true;
            } else if (c == sep) {
                out.add(cur.toString().strip());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException(file + " line " + n + ": unbalanced double quote (a quoted field may"
                    + " not span lines)");
        }
        out.add(cur.toString().strip());
        return out;
    }

    private List<String> row(int i) {
        checkIndex(i);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            f.seek(offsets[i]);
            return fields(readLine(f), sep, file, lines[i]);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read csv table " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public int size() {
        return offsets.length;
    }

    @Override
    public RgbImage image(int i) {
        String name = row(i).get(imgColumn);
        Path p = file.toAbsolutePath().getParent().resolve(name).normalize();
        String where = p + " (" + file + " line " + lines[i] + ")";
        try {
            return RgbImage.decode(Files.readAllBytes(p), where);
        } catch (IOException e) {
            throw new IllegalArgumentException((Files.exists(p) ? "cannot read image " : "image file does not exist: ")
                    + where, e);
        }
    }

    @Override
    public List<String> captions(int i) {
        return List.of(row(i).get(captionColumn));
    }

    @Override
    public String describe() {
        return "csv " + split.name().toLowerCase() + " " + size() + " rows of " + columns + " columns from " + file;
    }
}
