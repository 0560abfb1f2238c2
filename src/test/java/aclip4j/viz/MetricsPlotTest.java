package aclip4j.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsPlotTest {
    @BeforeAll
    static void headless() {
        Png.headless();
    }

    static Path write(Path dir, String text) throws IOException {
        Path f = dir.resolve("metrics.jsonl");
        Files.writeString(f, text, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void seriesSkipRowsWithoutTheColumnAndNonFiniteValues(@TempDir Path dir) throws IOException {
        write(dir, "{\"step\":1,\"loss\":3.5,\"lr\":1e-4,\"momentum\":NaN}\n"
                + "\n"
                + "{\"step\":2,\"loss\":3.0,\"lr\":2e-4,\"eval_zero_shot_top1\":0.25}\n"
                + "{\"step\":3,\"loss\":2.5,\"lr\":3e-4,\"momentum\":0.5}\n");
        Metrics m = Metrics.read(dir);
        assertEquals(3, m.rows().size());
        assertEquals(3, m.lastStep());
        assertArrayEquals(new double[] {1, 2, 3}, m.series("loss").steps());
        assertArrayEquals(new double[] {3.5, 3.0, 2.5}, m.series("loss").values());
        assertArrayEquals(new double[] {2}, m.series("eval_zero_shot_top1").steps());
        assertArrayEquals(new double[] {3}, m.series("momentum").steps(), "NaN momentum left out");
        assertTrue(m.series("byol_loss").isEmpty());
    }

    @Test
    void missingFileIsNamed(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Metrics.read(dir));
        assertTrue(e.getMessage().contains(dir.resolve("metrics.jsonl").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
    }

    @Test
    void emptyFileIsRefused(@TempDir Path dir) throws IOException {
        Path f = write(dir, "\n  \n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Metrics.read(dir));
        assertEquals(f + " is empty: the run has not finished a step yet", e.getMessage());
    }

    @Test
    void malformedLinesAreNamedByFileAndLine(@TempDir Path dir) throws IOException {
        Path f = write(dir, "{\"step\":1,\"loss\":3}\n{\"step\":2,\"loss\":2}\n{\"step\":3,\"lo");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Metrics.read(dir));
        assertTrue(e.getMessage().startsWith(f + " line 3 is not valid JSON"), e.getMessage());

        write(dir, "{\"step\":1}\n[1, 2]\n");
        e = assertThrows(IllegalArgumentException.class, () -> Metrics.read(dir));
        assertEquals(f + " line 2 is not a JSON object: [1, 2]", e.getMessage());

        write(dir, "{\"step\":1}\n{\"step\":2}\n\n{\"loss\":1.5}\n");
        e = assertThrows(IllegalArgumentException.class, () -> Metrics.read(f));
        assertEquals(f + " line 4 has no numeric \"step\": {\"loss\":1.5}", e.getMessage());

        write(dir, "{\"step\":\"two\"}\n");
        e = assertThrows(IllegalArgumentException.class, () -> Metrics.read(f));
        assertTrue(e.getMessage().startsWith(f + " line 1 has no numeric \"step\""), e.getMessage());
    }

    @Test
    void plotsARealRunIntoTheGrid(@TempDir Path dir) throws IOException {
        Metrics m = Metrics.read(TinyRun.aclip());
        assertEquals(2, m.rows().size());
        assertEquals(2, m.series("byol_loss").steps().length, "an A-CLIP run logs BYOL every step");
        Path out = dir.resolve("plot.png");
        Png.write(MetricsPlot.render(m, "title", "subtitle"), out);
        BufferedImage img = ImageIO.read(out.toFile());
        assertEquals(2 * MetricsPlot.PANEL_W, img.getWidth());
        assertEquals(MetricsPlot.HEADER_H + 2 * MetricsPlot.PANEL_H, img.getHeight());
        assertEquals(1280, img.getWidth());
        assertEquals(848, img.getHeight());
    }

    /** One logged step (an axis of zero width) and a long, evenly spaced run both render. */
    @Test
    void oneStepAndManyStepsRender(@TempDir Path dir) throws IOException {
        write(dir, "{\"step\":1,\"loss\":3.5,\"clip_loss\":3.5,\"ssl_loss\":0,\"byol_loss\":0,\"lr\":1e-6,"
                + "\"logit_scale\":2.65,\"eval_zero_shot_top1\":0.1,\"eval_zero_shot_top5\":0.4}\n");
        BufferedImage one = MetricsPlot.render(Metrics.read(dir), "t", "s");
        assertEquals(MetricsPlot.height(), one.getHeight());
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= 500; i++) {
            sb.append(String.format(java.util.Locale.ROOT, "{\"step\":%d,\"loss\":%f,\"lr\":%g,\"logit_scale\":2.6}%n",
                    i, 5.0 / Math.sqrt(i), 1e-3 * Math.min(1, i / 50.0)));
        }
        write(dir, sb.toString());
        BufferedImage many = MetricsPlot.render(Metrics.read(dir), "t", "s");
        assertEquals(MetricsPlot.width(), many.getWidth());
    }
}
