package aclip4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxDatasetTest {
    @TempDir
    Path dir;

    private static final int ROWS = 4, COLS = 5;

    // Pixel (y,x) of image i: a value a bug in indexing would not reproduce.
    private static int px(int i, int y, int x) {
        return (i * 37 + y * 11 + x * 3) % 256;
    }

    static byte[] imagesFile(int magic, int count, int rows, int cols, int dataCount) {
        ByteBuffer b = ByteBuffer.allocate(16 + dataCount * rows * cols);
        b.putInt(magic).putInt(count).putInt(rows).putInt(cols);
        for (int i = 0; i < dataCount; i++) {
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < cols; x++) {
                    b.put((byte) px(i, y, x));
                }
            }
        }
        return b.array();
    }

    static byte[] labelsFile(int magic, int[] labels) {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
        b.putInt(magic).putInt(labels.length);
        for (int l : labels) {
            b.put((byte) l);
        }
        return b.array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        }
        return out.toByteArray();
    }

    private void writeSplit(String prefix, int n, int[] labels, boolean gz) throws IOException {
        byte[] img = imagesFile(0x803, n, ROWS, COLS, n);
        byte[] lab = labelsFile(0x801, labels);
        String ext = gz ? ".gz" : "";
        Files.write(dir.resolve(prefix + "-images-idx3-ubyte" + ext), gz ? gzip(img) : img);
        Files.write(dir.resolve(prefix + "-labels-idx1-ubyte" + ext), gz ? gzip(lab) : lab);
    }

    @Test
    void readsRawAndGzippedAlike() throws IOException {
        Path raw = dir.resolve("a-idx3-ubyte"), gz = dir.resolve("b-idx3-ubyte.gz");
        Files.write(raw, imagesFile(0x803, 3, ROWS, COLS, 3));
        Files.write(gz, gzip(imagesFile(0x803, 3, ROWS, COLS, 3)));
        IdxReader.Images a = IdxReader.readImages(raw), b = IdxReader.readImages(gz);
        assertEquals(3, a.count());
        assertEquals(ROWS, a.rows());
        assertEquals(COLS, a.cols());
        assertArrayEquals(a.pixels(), b.pixels());
        assertEquals(px(2, 3, 4), a.pixel(2, 3, 4));
        assertEquals(px(1, 0, 2), b.pixel(1, 0, 2));
        Path lab = dir.resolve("l.gz");
        Files.write(lab, gzip(labelsFile(0x801, new int[]{3, 0, 9, 255})));
        assertArrayEquals(new int[]{3, 0, 9, 255}, IdxReader.readLabels(lab));
    }

    @Test
    void malformedFilesNameTheFile() throws IOException {
        Path badMagic = dir.resolve("badmagic-idx3-ubyte");
        Files.write(badMagic, imagesFile(0x801, 2, ROWS, COLS, 2));
        assertMessage(() -> IdxReader.readImages(badMagic), "badmagic-idx3-ubyte", "magic 0x00000801");

        Path truncated = dir.resolve("short-idx3-ubyte");
        byte[] full = imagesFile(0x803, 3, ROWS, COLS, 3);
        Files.write(truncated, Arrays.copyOf(full, full.length - 7));
        assertMessage(() -> IdxReader.readImages(truncated), "short-idx3-ubyte", "truncated");

        Path header = dir.resolve("header-idx3-ubyte");
        Files.write(header, Arrays.copyOf(full, 10));
        assertMessage(() -> IdxReader.readImages(header), "header-idx3-ubyte", "truncated header");

        Path trailing = dir.resolve("long-idx1-ubyte");
        byte[] lab = labelsFile(0x801, new int[]{1, 2});
        Files.write(trailing, Arrays.copyOf(lab, lab.length + 1));
        assertMessage(() -> IdxReader.readLabels(trailing), "long-idx1-ubyte", "trailing");

        Path labMagic = dir.resolve("labmagic-idx1-ubyte");
        Files.write(labMagic, labelsFile(0x803, new int[]{1}));
        assertMessage(() -> IdxReader.readLabels(labMagic), "labmagic-idx1-ubyte", "0x00000801");

        Path cutGz = dir.resolve("cut-idx3-ubyte.gz");
        byte[] gz = gzip(full);
        Files.write(cutGz, Arrays.copyOf(gz, gz.length / 2));
        assertMessage(() -> IdxReader.readImages(cutGz), "cut-idx3-ubyte.gz", "gzip");

        Path dims = dir.resolve("dims-idx3-ubyte");
        Files.write(dims, imagesFile(0x803, 1, 0, COLS, 0));
        assertMessage(() -> IdxReader.readImages(dims), "dims-idx3-ubyte", "rows 0");
    }

    @Test
    void nativeSizeImagesAreGreyInRgb() throws IOException {
        writeSplit("train", 3, new int[]{7, 0, 9}, true);
        IdxDataset d = IdxDataset.open(IdxDataset.Kind.MNIST, dir, Split.TRAIN, 0, 1);
        assertEquals(3, d.size());
        RgbImage img = d.image(2);
        assertEquals(ROWS, img.height());
        assertEquals(COLS, img.width());
        for (int y = 0; y < ROWS; y++) {
            for (int x = 0; x < COLS; x++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(px(2, y, x) / 255f, img.get(c, y, x), 0f);
                }
            }
        }
        assertEquals(7, d.label(0));
        assertEquals("seven", d.classNames().get(d.label(0)));
        for (String c : d.captions(0)) {
            assertTrue(c.contains("seven"), c);
        }
        assertEquals("a photo of the digit nine.", d.captions(2).get(1));
    }

    @Test
    void canvasPastesAtAPositionFixedBySeedAndSaysWhere() throws IOException {
        int n = 40;
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 10;
        }
        writeSplit("t10k", n, labels, false);
        int canvas = 16;
        IdxDataset d = IdxDataset.open(IdxDataset.Kind.FASHION_MNIST, dir, Split.TEST, canvas, 5);
        IdxDataset again = IdxDataset.open(IdxDataset.Kind.FASHION_MNIST, dir, Split.TEST, canvas, 5);
        Set<String> offsets = new HashSet<>();
        Set<String> wheres = new HashSet<>();
        for (int i = 0; i < n; i++) {
            RgbImage img = d.image(i);
            assertEquals(canvas, img.height());
            assertArrayEquals(img.chw(), again.image(i).chw(), "same seed, same placement");
            // Find the offset where the digit's pixels sit: a unique match, zeros everywhere else.
            int found = 0;
            String at = null;
            for (int oy = 0; oy <= canvas - ROWS; oy++) {
                for (int ox = 0; ox <= canvas - COLS; ox++) {
                    if (matches(img, i, oy, ox)) {
                        found++;
                        at = oy + "," + ox;
                    }
                }
            }
            assertEquals(1, found, "image " + i + " appears once on the canvas");
            offsets.add(at);
            String[] yx = at.split(",");
            int row = (int) ((Integer.parseInt(yx[0]) + ROWS / 2.0) * 3 / canvas);
            int col = (int) ((Integer.parseInt(yx[1]) + COLS / 2.0) * 3 / canvas);
            String first = d.captions(i).get(0);
            String name = d.classNames().get(labels[i]).toLowerCase();
            assertTrue(first.contains(name), first);
            String expectWhere = new String[][]{
                    {"at the top left", "at the top", "at the top right"},
                    {"on the left", "in the center", "on the right"},
                    {"at the bottom left", "at the bottom", "at the bottom right"}}[row][col];
            assertTrue(first.endsWith(expectWhere + "."), first + " expected " + expectWhere);
            wheres.add(expectWhere);
        }
        assertTrue(offsets.size() > 20, "placements vary: " + offsets.size());
        assertTrue(wheres.size() >= 5, "positions vary: " + wheres);
        IdxDataset other = IdxDataset.open(IdxDataset.Kind.FASHION_MNIST, dir, Split.TEST, canvas, 6);
        int same = 0;
        for (int i = 0; i < n; i++) {
            same += Arrays.equals(d.image(i).chw(), other.image(i).chw()) ? 1 : 0;
        }
        assertTrue(same < 10, same + " of " + n + " placements equal across seeds");
        assertEquals("ankle boot", d.classNames().get(9).toLowerCase());
        assertEquals(10, d.classNames().size());
    }

    @Test
    void coverageOnACanvasIsTheItemsInkedPixelsWhereTheyArePasted() throws IOException {
        int n = 12;
        writeSplit("t10k", n, new int[n], false);
        IdxDataset d = IdxDataset.open(IdxDataset.Kind.FASHION_MNIST, dir, Split.TEST, 16, 3);
        int partlyInked = 0;
        for (int i = 0; i < n; i++) {
            Dataset.Coverage cov = d.objectCoverage(i);
            RgbImage img = d.image(i);
            assertEquals(16, cov.height());
            assertEquals(16, cov.width());
            int inked = 0;
            for (int y = 0; y < 16; y++) {
                for (int x = 0; x < 16; x++) {
                    // The canvas is black: a pixel is the item's exactly where its drawn value is ink.
                    float want = img.get(0, y, x) >= IdxDataset.INK * 255 / 255f - 1e-7f ? 1f : 0f;
                    assertEquals(want, cov.values()[y * 16 + x], "image " + i + " pixel " + y + "," + x);
                    inked += (int) want;
                }
            }
            int expected = 0; // inked pixels of the 4x5 source image, wherever it lands
            for (int y = 0; y < ROWS; y++) {
                for (int x = 0; x < COLS; x++) {
                    expected += px(i, y, x) >= IdxDataset.INK * 255 ? 1 : 0;
                }
            }
            assertEquals(expected, inked, "image " + i);
            partlyInked += inked > 0 && inked < ROWS * COLS ? 1 : 0;
        }
        assertTrue(partlyInked >= 2, partlyInked + " of " + n + " items have both ink and background pixels");
        assertNull(IdxDataset.open(IdxDataset.Kind.FASHION_MNIST, dir, Split.TEST, 0, 3).objectCoverage(0),
                "at the native size the item is the whole image");
    }

    private static boolean matches(RgbImage img, int i, int oy, int ox) {
        int S = img.height();
        for (int y = 0; y < S; y++) {
            for (int x = 0; x < S; x++) {
                boolean inside = y >= oy && y < oy + ROWS && x >= ox && x < ox + COLS;
                float want = inside ? px(i, y - oy, x - ox) / 255f : 0f;
                for (int c = 0; c < 3; c++) {
                    if (img.get(c, y, x) != want) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    @Test
    void inconsistentFilesAreRejected() throws IOException {
        writeSplit("train", 3, new int[]{1, 2}, false); // 3 images, 2 labels
        assertMessage(() -> IdxDataset.open(IdxDataset.Kind.MNIST, dir, Split.TRAIN, 0, 0), "3 images but 2 labels");
        writeSplit("t10k", 2, new int[]{1, 10}, false);
        assertMessage(() -> IdxDataset.open(IdxDataset.Kind.MNIST, dir, Split.TEST, 0, 0), "label 10");
        assertMessage(() -> IdxDataset.open(IdxDataset.Kind.MNIST, dir.resolve("nope"), Split.TEST, 0, 0),
                "not a directory");
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertMessage(() -> IdxDataset.open(IdxDataset.Kind.MNIST, empty, Split.TRAIN, 0, 0),
                "train-images-idx3-ubyte");
        writeSplit("t10k", 2, new int[]{1, 2}, false);
        assertMessage(() -> IdxDataset.open(IdxDataset.Kind.MNIST, dir, Split.TEST, 3, 0), "canvas 3");
    }

    /** Real Fashion-MNIST when installed (apt-get install dataset-fashion-mnist, see docs/DATA.md). */
    @Test
    void realFashionMnistWhenInstalled() {
        Path real = Path.of("/usr/share/datasets/fashion-mnist");
        Assumptions.assumeTrue(Files.isRegularFile(real.resolve("t10k-images-idx3-ubyte.gz")),
                "Fashion-MNIST not installed at " + real);
        IdxDataset d = IdxDataset.open(IdxDataset.Kind.FASHION_MNIST, real, Split.TEST, 0, 0);
        assertEquals(10000, d.size());
        assertEquals(28, d.image(0).height());
        assertEquals("Ankle boot", d.classNames().get(d.label(0))); // the first test image of Fashion-MNIST
        int[] perClass = new int[10];
        for (int i = 0; i < d.size(); i++) {
            perClass[d.label(i)]++;
        }
        for (int c = 0; c < 10; c++) {
            assertEquals(1000, perClass[c], "class " + c); // the test split is balanced
        }
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable e, String... parts) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        for (String p : parts) {
            assertTrue(ex.getMessage().contains(p), "message '" + ex.getMessage() + "' lacks '" + p + "'");
        }
    }
}
