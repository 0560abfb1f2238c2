package aclip4j.data;

import static aclip4j.data.IdxDatasetTest.assertMessage;
import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FolderDatasetTest {
    @TempDir
    Path dir;

    private static int rgb(int k, int y, int x) {
        return ((k * 40 + x * 7) & 0xff) << 16 | ((y * 13) & 0xff) << 8 | ((k * 3 + x + y) & 0xff);
    }

    private void png(Path p, int k, int h, int w) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rgb(k, y, x));
            }
        }
        assertTrue(ImageIO.write(img, "png", p.toFile()));
    }

    private void tsv(Path p, String... lines) throws IOException {
        Files.write(p, List.of(lines), StandardCharsets.UTF_8);
    }

    @Test
    void readsImagesAndSeveralCaptionsPerFile() throws IOException {
        png(dir.resolve("a.png"), 0, 6, 9);
        Files.createDirectory(dir.resolve("sub"));
        png(dir.resolve("sub/b.png"), 1, 5, 5);
        tsv(dir.resolve("captions.tsv"),
                "# comment", "a.png\ta red thing", "", "sub/b.png\ta blue thing", "a.png\tthe same red thing");
        FolderDataset train = FolderDataset.open(dir, Split.TRAIN);
        assertEquals(2, train.size()); // fewer than ten files: none held out
        assertEquals(List.of("a red thing", "the same red thing"), train.captions(0));
        assertEquals(List.of("a blue thing"), train.captions(1));
        RgbImage a = train.image(0);
        assertEquals(6, a.height());
        assertEquals(9, a.width());
        for (int y = 0; y < 6; y++) {
            for (int x = 0; x < 9; x++) {
                int v = rgb(0, y, x);
                assertEquals(((v >> 16) & 0xff) / 255f, a.get(0, y, x), 0f);
                assertEquals(((v >> 8) & 0xff) / 255f, a.get(1, y, x), 0f);
                assertEquals((v & 0xff) / 255f, a.get(2, y, x), 0f);
            }
        }
        assertEquals(-1, train.label(0));
        assertTrue(train.classNames().isEmpty());
        assertMessage(() -> FolderDataset.open(dir, Split.TEST), "no images for the test split");
    }

    @Test
    void everyTenthFileIsHeldOut() throws IOException {
        String[] lines = new String[25];
        for (int k = 0; k < 25; k++) {
            png(dir.resolve("img" + k + ".png"), k, 3, 3);
            lines[k] = "img" + k + ".png\tpicture number " + k;
        }
        tsv(dir.resolve("captions.tsv"), lines);
        FolderDataset train = FolderDataset.open(dir, Split.TRAIN), test = FolderDataset.open(dir, Split.TEST);
        assertEquals(23, train.size());
        assertEquals(2, test.size());
        assertEquals(List.of("picture number 9"), test.captions(0));
        assertEquals(List.of("picture number 19"), test.captions(1));
        assertEquals(List.of("picture number 10"), train.captions(9));
    }

    @Test
    void splitFoldersAreUsedWhenPresent() throws IOException {
        for (String s : new String[]{"train", "test"}) {
            Path d = Files.createDirectory(dir.resolve(s));
            png(d.resolve("x.png"), s.length(), 4, 4);
            tsv(d.resolve("captions.tsv"), "x.png\ta " + s + " picture");
        }
        assertEquals(List.of("a train picture"), FolderDataset.open(dir, Split.TRAIN).captions(0));
        assertEquals(List.of("a test picture"), FolderDataset.open(dir, Split.TEST).captions(0));
    }

    @Test
    void badRowsNameTheFileAndLine() throws IOException {
        png(dir.resolve("a.png"), 0, 4, 4);
        Path caps = dir.resolve("captions.tsv");
        tsv(caps, "a.png\tfine", "a.png no tab here");
        assertMessage(() -> FolderDataset.open(dir, Split.TRAIN), "captions.tsv line 2", "file<TAB>caption");
        tsv(caps, "a.png\tfine", "", "missing.png\tnot there");
        assertMessage(() -> FolderDataset.open(dir, Split.TRAIN), "captions.tsv line 3", "missing.png",
                "does not exist");
        tsv(caps, "a.png\t   ");
        assertMessage(() -> FolderDataset.open(dir, Split.TRAIN), "captions.tsv line 1", "empty caption");
        tsv(caps, "\tcaption");
        assertMessage(() -> FolderDataset.open(dir, Split.TRAIN), "captions.tsv line 1", "empty file name");
        Files.delete(caps);
        assertMessage(() -> FolderDataset.open(dir, Split.TRAIN), "no captions.tsv");
    }

    @Test
    void unreadableImageNamesTheFileAndLine() throws IOException {
        png(dir.resolve("a.png"), 0, 4, 4);
        Files.writeString(dir.resolve("broken.png"), "this is not a png");
        tsv(dir.resolve("captions.tsv"), "a.png\tok", "broken.png\ta broken picture");
        FolderDataset d = FolderDataset.open(dir, Split.TRAIN);
        assertEquals(4, d.image(0).height());
        assertMessage(() -> d.image(1), "broken.png", "captions.tsv line 2");
    }

    @Test
    void greyPngsKeepTheirStoredValues() throws IOException {
        BufferedImage g = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        g.getRaster().setSample(1, 0, 0, 100);
        g.getRaster().setSample(2, 1, 0, 255);
        ImageIO.write(g, "png", dir.resolve("g.png").toFile());
        tsv(dir.resolve("captions.tsv"), "g.png\tgrey");
        RgbImage img = FolderDataset.open(dir, Split.TRAIN).image(0);
        for (int c = 0; c < 3; c++) {
            assertEquals(100 / 255f, img.get(c, 0, 1), 1e-7f);
            assertEquals(1f, img.get(c, 1, 2), 0f);
            assertEquals(0f, img.get(c, 0, 0), 0f);
        }
    }
}
