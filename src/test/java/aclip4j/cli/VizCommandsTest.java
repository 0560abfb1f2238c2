package aclip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.viz.MaskPicture;
import aclip4j.viz.TinyRun;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code aclip4j masks} and {@code aclip4j plot} end to end through {@link Main#run}. */
class VizCommandsTest {
    record Outcome(int code, String out, String err) {}

    static Outcome run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void masksWritesThePicture(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("m.png");
        Outcome o = run("masks", "--checkpoint", TinyRun.checkpoint(TinyRun.aclip()).toString(), "--out", png.toString(),
                "--images", "2", "--strategy", "mixed", "--compare-random", "--colormap", "inferno", "--seed", "5");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("scores from the EMA tower"), o.out());
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img);
        int T = 192, cols = 6, rows = 2;
        assertEquals(2 * MaskPicture.MARGIN + cols * T + (cols - 1) * MaskPicture.GAP, img.getWidth());
        assertEquals(MaskPicture.MARGIN + MaskPicture.TITLE_H + MaskPicture.HEADER_H + rows * (T + MaskPicture.CAPTION_H)
                + (rows - 1) * MaskPicture.ROW_GAP + MaskPicture.LEGEND_H + MaskPicture.MARGIN, img.getHeight());
    }

    @Test
    void masksOfARunWithoutEmaSaysSo(@TempDir Path dir) {
        Path png = dir.resolve("m.png");
        Outcome o = run("masks", "--checkpoint", TinyRun.checkpoint(TinyRun.clipRandom()).toString(), "--out",
                png.toString(), "--images", "1");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("scores from the online tower"), o.out());
        assertTrue(Files.exists(png));
    }

    @Test
    void masksRefusesBadInputInOneLine(@TempDir Path dir) {
        Path png = dir.resolve("m.png");
        Outcome o = run("masks", "--checkpoint", TinyRun.checkpoint(TinyRun.aclip()).toString(), "--out", png.toString(),
                "--strategy", "sideways");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("strategy is 'sideways', expected low, high, mixed or random"), o.err());
        o = run("masks", "--checkpoint", dir.resolve("none.safetensors").toString(), "--out", png.toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains("none.safetensors"), o.err());
        assertFalse(Files.exists(png), "no picture after a failure");
    }

    @Test
    void plotWritesTheCurves(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("curves.png");
        Outcome o = run("plot", "--run", TinyRun.aclip().toString(), "--out", png.toString());
        assertEquals(0, o.code(), o.err());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(2 * 640, img.getWidth(), "two panels of 640 px side by side");
        assertEquals(48 + 2 * 400, img.getHeight(), "a 48 px title strip over two rows of 400 px");
        // the loss panel (top left) draws the CLIP (blue), SimCLR (orange) and BYOL (green) curves of an A-CLIP run
        for (int[] colour : new int[][] {{0x00, 0x72, 0xB2}, {0xE6, 0x9F, 0x00}, {0x00, 0x9E, 0x73}}) {
            int n = 0;
            for (int y = 48; y < 448; y++) {
                for (int x = 0; x < 640; x++) {
                    int rgb = img.getRGB(x, y);
                    int dr = ((rgb >> 16) & 255) - colour[0], dg = ((rgb >> 8) & 255) - colour[1], db = (rgb & 255) - colour[2];
                    n += dr * dr + dg * dg + db * db < 40 * 40 ? 1 : 0;
                }
            }
            assertTrue(n > 50, n + " pixels of curve colour " + java.util.Arrays.toString(colour));
        }
    }

    @Test
    void plotNamesTheBadFileAndLine(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("curves.png");
        Outcome o = run("plot", "--run", dir.toString(), "--out", png.toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains(dir.resolve("metrics.jsonl") + " not found"), o.err());

        Files.writeString(dir.resolve("metrics.jsonl"), "{\"step\":1,\"loss\":2}\nnot json\n");
        o = run("plot", "--run", dir.toString(), "--out", png.toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains(dir.resolve("metrics.jsonl") + " line 2"), o.err());
        assertFalse(Files.exists(png));
    }
}
