package aclip4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** WebDataset shards and CSV tables made by the test itself: layout, splits, streaming reads, errors. */
public class ShardedDataTest {
    @TempDir
    Path dir;

    /** A 3x2 PNG whose pixels encode {@code i}, so a wrong offset decodes the wrong image. */
    public static byte[] png(int i) throws IOException {
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                img.setRGB(x, y, ((i * 7) % 256) << 16 | ((x * 40 + y * 90) % 256) << 8 | (i * 13 + 5) % 256);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    /** A ustar archive of these members, in order (names up to 100 bytes). */
    public static byte[] tar(Map<String, byte[]> members) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> m : members.entrySet()) {
            byte[] h = new byte[512];
            byte[] name = m.getKey().getBytes(StandardCharsets.UTF_8);
            System.arraycopy(name, 0, h, 0, name.length);
            put(h, 100, "0000644");
            put(h, 108, "0000000");
            put(h, 116, "0000000");
            put(h, 124, String.format("%011o", m.getValue().length));
            put(h, 136, "00000000000");
            h[156] = '0';
            put(h, 257, "ustar");
            h[263] = '0';
            h[264] = '0';
            java.util.Arrays.fill(h, 148, 156, (byte) ' ');
            int sum = 0;
            for (byte b : h) {
                sum += b & 0xff;
            }
            put(h, 148, String.format("%06o", sum));
            out.write(h);
            out.write(m.getValue());
            out.write(new byte[(512 - m.getValue().length % 512) % 512]);
        }
        out.write(new byte[1024]);
        return out.toByteArray();
    }

    private static void put(byte[] h, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, at, b.length);
    }

    private void shard(String name, int from, int to) throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int i = from; i < to; i++) {
            String key = String.format("%09d", i);
            m.put(key + ".png", png(i));
            m.put(key + ".txt", ("caption number " + i + "\n").getBytes(StandardCharsets.UTF_8));
            m.put(key + ".json", "{}".getBytes(StandardCharsets.UTF_8));
        }
        Files.write(dir.resolve(name), tar(m));
    }

    private static void assertSameImage(byte[] png, RgbImage got) throws IOException {
        RgbImage want = RgbImage.of(ImageIO.read(new java.io.ByteArrayInputStream(png)));
        assertArrayEquals(want.chw(), got.chw());
    }

    @Test
    void shardsByBraceRangeSplitEveryTenthSampleAndReadTheRightBytes() throws IOException {
        shard("000000.tar", 0, 12);
        shard("000001.tar", 12, 25);
        WebDatasetDataset train = WebDatasetDataset.open(dir + "/{000000..000001}.tar", Split.TRAIN);
        WebDatasetDataset test = WebDatasetDataset.open(dir + "/{000000..000001}.tar", Split.TEST);
        assertEquals(23, train.size()); // 25 samples, the 10th and 20th held out
        assertEquals(2, test.size());
        assertEquals(List.of("caption number 9"), test.captions(0));
        assertEquals(List.of("caption number 19"), test.captions(1));
        assertSameImage(png(19), test.image(1));
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
            seen.add(train.captions(i).get(0));
        }
        assertEquals("caption number 0", seen.get(0));
        assertEquals("caption number 24", seen.get(22));
        assertTrue(!seen.contains("caption number 9") && seen.contains("caption number 10"));
        assertSameImage(png(13), train.image(12)); // sample 13: the second shard's second sample
        // a folder of shards is the same data in name order
        WebDatasetDataset folder = WebDatasetDataset.open(dir.toString(), Split.TRAIN);
        assertEquals(train.size(), folder.size());
        assertEquals(-1, train.label(0));
        assertTrue(train.classNames().isEmpty());
        assertTrue(DataSource.parse("wds:" + dir + "/000000.tar").open(Split.TRAIN, DataSource.Options.defaults())
                instanceof WebDatasetDataset);
    }

    @Test
    void shardErrorsNameTheShardAndTheSample() throws IOException {
        String missing = assertThrows(IllegalArgumentException.class,
                () -> WebDatasetDataset.open(dir + "/{000000..000003}.tar", Split.TRAIN)).getMessage();
        assertTrue(missing.startsWith("shard ") && missing.contains("000000.tar does not exist"), missing);
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("a.png", png(1));
        m.put("a.txt", "x".getBytes(StandardCharsets.UTF_8));
        m.put("b.png", png(2));
        Files.write(dir.resolve("nocap.tar"), tar(m));
        String noCaption = assertThrows(IllegalArgumentException.class,
                () -> WebDatasetDataset.open(dir.resolve("nocap.tar").toString(), Split.TRAIN)).getMessage();
        assertTrue(noCaption.contains("nocap.tar") && noCaption.contains("sample b has no .txt caption"), noCaption);
        Map<String, byte[]> bad = new LinkedHashMap<>();
        for (int i = 0; i < 10; i++) {
            bad.put("s" + i + ".jpg", "not a jpeg".getBytes(StandardCharsets.UTF_8));
            bad.put("s" + i + ".txt", "a cat".getBytes(StandardCharsets.UTF_8));
        }
        Files.write(dir.resolve("bad.tar"), tar(bad));
        WebDatasetDataset d = WebDatasetDataset.open(dir.resolve("bad.tar").toString(), Split.TRAIN);
        String undecodable = assertThrows(IllegalArgumentException.class, () -> d.image(0)).getMessage();
        assertTrue(undecodable.contains("cannot decode image s0.jpg of sample s0") && undecodable.contains("bad.tar"),
                undecodable);
        byte[] whole = tar(m);
        Files.write(dir.resolve("cut.tar"), java.util.Arrays.copyOf(whole, 700));
        String cut = assertThrows(IllegalArgumentException.class,
                () -> WebDatasetDataset.open(dir.resolve("cut.tar").toString(), Split.TRAIN)).getMessage();
        assertTrue(cut.contains("cut.tar is truncated"), cut);
    }

    @Test
    void csvTablesWithQuotesCustomColumnsAndSeparators() throws IOException {
        Files.createDirectories(dir.resolve("img"));
        StringBuilder tsv = new StringBuilder("id\tfilepath\ttitle\n");
        StringBuilder csv = new StringBuilder("path,text,extra\n");
        for (int i = 0; i < 11; i++) {
            Files.write(dir.resolve("img").resolve(i + ".png"), png(i));
            tsv.append(i).append("\timg/").append(i).append(".png\ta photo number ").append(i).append('\n');
            csv.append("img/").append(i).append(".png,\"a photo, \"\"number\"\" ").append(i).append("\",x\n");
        }
        Files.writeString(dir.resolve("t.tsv"), tsv.toString());
        Files.writeString(dir.resolve("t.csv"), csv.toString());
        CsvDataset train = CsvDataset.open(dir.resolve("t.tsv").toString(), Split.TRAIN);
        CsvDataset test = CsvDataset.open(dir.resolve("t.tsv").toString(), Split.TEST);
        assertEquals(10, train.size());
        assertEquals(1, test.size());
        assertEquals(List.of("a photo number 9"), test.captions(0));
        assertSameImage(png(9), test.image(0));
        assertSameImage(png(10), train.image(9));
        CsvDataset c = CsvDataset.open(dir.resolve("t.csv") + "::img=path::caption=text::sep=comma", Split.TRAIN);
        assertEquals(List.of("a photo, \"number\" 3"), c.captions(3));
        assertSameImage(png(3), c.image(3));
        String noColumn = assertThrows(IllegalArgumentException.class,
                () -> CsvDataset.open(dir.resolve("t.csv") + "::sep=comma", Split.TRAIN)).getMessage();
        assertTrue(noColumn.contains("lacks the image column 'filepath'"), noColumn);
        Files.writeString(dir.resolve("short.tsv"), "filepath\ttitle\nimg/0.png\ta\nimg/1.png\n");
        String fields = assertThrows(IllegalArgumentException.class,
                () -> CsvDataset.open(dir.resolve("short.tsv").toString(), Split.TRAIN)).getMessage();
        assertTrue(fields.contains("short.tsv line 3: 1 fields, the header has 2"), fields);
        Files.writeString(dir.resolve("gone.tsv"), "filepath\ttitle\nimg/nope.png\ta cat\n");
        String gone = assertThrows(IllegalArgumentException.class,
                () -> CsvDataset.open(dir.resolve("gone.tsv").toString(), Split.TRAIN).image(0)).getMessage();
        assertTrue(gone.startsWith("image file does not exist: ") && gone.contains("gone.tsv line 2"), gone);
        Files.writeString(dir.resolve("empty.tsv"), "filepath\ttitle\nimg/0.png\t \n");
        String empty = assertThrows(IllegalArgumentException.class,
                () -> CsvDataset.open(dir.resolve("empty.tsv").toString(), Split.TRAIN)).getMessage();
        assertTrue(empty.contains("empty caption"), empty);
    }
}
