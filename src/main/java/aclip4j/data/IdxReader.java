package aclip4j.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files (the MNIST / Fashion-MNIST format), gzipped or raw: a big-endian header (magic {@code 0x00000803}
 * with count, rows, cols for images; {@code 0x00000801} with count for labels), then unsigned bytes.
 * Every malformed file gives an {@link IllegalArgumentException} naming the file.
 */
public final class IdxReader {
    private IdxReader() {
    }

    public static final int IMAGES_MAGIC = 0x00000803;
    public static final int LABELS_MAGIC = 0x00000801;

    /** Images: {@code pixels} is {@code [count, rows, cols]} unsigned bytes. */
    public record Images(byte[] pixels, int count, int rows, int cols) {
        /** Pixel {@code (y, x)} of image {@code i} in [0,255]. */
        public int pixel(int i, int y, int x) {
            return pixels[(i * rows + y) * cols + x] & 0xff;
        }
    }

    public static Images readImages(Path file) {
        byte[] b = readAll(file);
        int magic = header(b, 0, file);
        if (magic != IMAGES_MAGIC) {
            throw new IllegalArgumentException(file + ": magic 0x" + String.format("%08x", magic)
                    + " is not an IDX image file (expected 0x00000803)");
        }
        if (b.length < 16) {
            throw new IllegalArgumentException(file + ": truncated header, " + b.length
                    + " bytes where an IDX image header needs 16");
        }
        int count = header(b, 4, file), rows = header(b, 8, file), cols = header(b, 12, file);
        if (count < 0 || rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException(file + ": bad dimensions count " + count + ", rows " + rows
                    + ", cols " + cols);
        }
        long need = 16L + (long) count * rows * cols;
        if (b.length != need) {
            throw new IllegalArgumentException(file + ": " + (b.length < need ? "truncated" : "trailing data")
                    + ", " + b.length + " bytes where " + count + " images of " + rows + "x" + cols + " need " + need);
        }
        byte[] px = new byte[(int) (need - 16)];
        System.arraycopy(b, 16, px, 0, px.length);
        return new Images(px, count, rows, cols);
    }

    /** Labels as unsigned bytes widened to int. */
    public static int[] readLabels(Path file) {
        byte[] b = readAll(file);
        int magic = header(b, 0, file);
        if (magic != LABELS_MAGIC) {
            throw new IllegalArgumentException(file + ": magic 0x" + String.format("%08x", magic)
                    + " is not an IDX label file (expected 0x00000801)");
        }
        int count = header(b, 4, file);
        if (count < 0) {
            throw new IllegalArgumentException(file + ": bad label count " + count);
        }
        long need = 8L + count;
        if (b.length != need) {
            throw new IllegalArgumentException(file + ": " + (b.length < need ? "truncated" : "trailing data")
                    + ", " + b.length + " bytes where " + count + " labels need " + need);
        }
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = b[8 + i] & 0xff;
        }
        return labels;
    }

    private static int header(byte[] b, int at, Path file) {
        if (b.length < at + 4) {
            throw new IllegalArgumentException(file + ": truncated header, " + b.length + " bytes");
        }
        return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }

    /** The file's bytes, gunzipped when it starts with the gzip magic {@code 1f 8b} (whatever its name). */
    static byte[] readAll(Path file) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read (" + e + ")", e);
        }
        return gunzipIfGzip(raw, file.toString());
    }

    /** {@code raw} gunzipped when it starts with the gzip magic {@code 1f 8b}, else itself; {@code where} names it. */
    static byte[] gunzipIfGzip(byte[] raw, String where) {
        if (raw.length >= 2 && (raw[0] & 0xff) == 0x1f && (raw[1] & 0xff) == 0x8b) {
            try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(raw))) {
                ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length * 4);
                in.transferTo(out);
                return out.toByteArray();
            } catch (IOException e) {
                throw new IllegalArgumentException(where + ": corrupt or truncated gzip data (" + e.getMessage() + ")", e);
            }
        }
        return raw;
    }
}
