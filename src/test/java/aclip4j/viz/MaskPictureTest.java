package aclip4j.viz;

import aclip4j.train.RunState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.Backend;
import aclip4j.mask.TokenSelector.Strategy;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaskPictureTest {
    static MaskFigure.Figure figure;

    @BeforeAll
    static void compute() throws IOException {
        Png.headless();
        figure = MaskFigure.compute(RunState.load(TinyRun.checkpoint(TinyRun.aclip())),
                new MaskFigure.Options(3, Strategy.DROP_LOW, true, 11, Backend.SIMD, null, false));
    }

    static BufferedImage roundTrip(MaskFigure.Figure f, Path dir) throws IOException {
        Path file = dir.resolve("masks.png");
        Png.write(MaskPicture.render(f, Colormap.VIRIDIS, "test checkpoint"), file);
        BufferedImage img = ImageIO.read(file.toFile());
        assertNotNull(img, "ImageIO cannot decode " + file);
        return img;
    }

    @Test
    void sizeFollowsRowsColumnsAndTiles(@TempDir Path dir) throws IOException {
        BufferedImage img = roundTrip(figure, dir);
        // tiny views are 64 px: tiles 3 x 64 = 192; columns: image, score map, 2 views x (low, random)
        int T = 192, cols = 2 + 2 * 2, rows = 3;
        int w = 2 * MaskPicture.MARGIN + cols * T + (cols - 1) * MaskPicture.GAP;
        int h = MaskPicture.MARGIN + MaskPicture.TITLE_H + MaskPicture.HEADER_H + rows * (T + MaskPicture.CAPTION_H)
                + (rows - 1) * MaskPicture.ROW_GAP + MaskPicture.LEGEND_H + MaskPicture.MARGIN;
        assertEquals(w, img.getWidth());
        assertEquals(h, img.getHeight());
        assertEquals(1262, img.getWidth(), "20 + 6*192 + 5*14 + 20");

        MaskFigure.Figure noCompare = new MaskFigure.Figure(figure.emaTower(), figure.step(), figure.variant(),
                figure.model(), figure.strategy(), false, figure.S(), figure.Se(), figure.patch(), figure.r(),
                figure.keepCells(), figure.mixedTop(), figure.scoreLayers(), figure.data(), figure.seed(),
                figure.rows().subList(0, 1));
        BufferedImage one = roundTrip(noCompare, dir);
        assertEquals(2 * MaskPicture.MARGIN + 4 * T + 3 * MaskPicture.GAP, one.getWidth());
        assertEquals(MaskPicture.MARGIN + MaskPicture.TITLE_H + MaskPicture.HEADER_H + T + MaskPicture.CAPTION_H
                + MaskPicture.LEGEND_H + MaskPicture.MARGIN, one.getHeight());
    }

    /**
     * Each view tile, read back from the PNG: its greyed fraction is 1 − kept/N, and the tokens it greys are exactly
     * the dropped tokens of the selection — for the strategy's columns and the random ones.
     */
    @Test
    void viewTilesGreyExactlyTheDroppedTokens(@TempDir Path dir) throws IOException {
        BufferedImage img = roundTrip(figure, dir);
        MaskPicture.Layout L = MaskPicture.Layout.of(figure);
        int S = figure.S(), p = figure.patch(), G = figure.G(), N = figure.N(), k = L.viewScale();
        assertEquals(3, k);
        double expectedGrey = 1.0 - (double) figure.kept() / N;
        assertEquals(1.0 - 36.0 / 64.0, expectedGrey);
        for (int row = 0; row < figure.rows().size(); row++) {
            for (int v = 0; v < figure.V(); v++) {
                MaskFigure.View view = figure.rows().get(row).views().get(v);
                for (boolean random : new boolean[] {false, true}) {
                    byte[] keep = random ? view.keepRandom() : view.keep();
                    int x0 = L.tileX(L.viewColumn(v, random)), y0 = L.tileY(row);
                    long greyed = 0, ambiguous = 0;
                    int[] greyedPerToken = new int[N];
                    int[] keptPerToken = new int[N];
                    for (int y = 0; y < L.tile(); y++) {
                        for (int x = 0; x < L.tile(); x++) {
                            int original = MaskPicture.rgb(view.pixels(), S, S, y / k, x / k);
                            int shown = img.getRGB(x0 + x, y0 + y) & 0xFFFFFF;
                            int dim = MaskPicture.dropped(original);
                            int token = (y / k / p) * G + x / k / p;
                            if (dim == original) {
                                ambiguous++;
                            } else if (shown == dim) {
                                greyed++;
                                greyedPerToken[token]++;
                            } else {
                                assertEquals(original, shown, "tile pixel (" + x + ", " + y + ") is neither the view's"
                                        + " pixel nor its greyed form");
                                keptPerToken[token]++;
                            }
                        }
                    }
                    String where = "row " + row + " view " + v + (random ? " random" : " low");
                    double total = (double) L.tile() * L.tile();
                    assertEquals(expectedGrey, greyed / total, ambiguous / total + 1e-12, where);
                    int droppedTokens = 0;
                    for (int t = 0; t < N; t++) {
                        boolean shownGrey = greyedPerToken[t] > keptPerToken[t];
                        assertEquals(keep[t] == 0, shownGrey, where + " token " + t);
                        droppedTokens += shownGrey ? 1 : 0;
                    }
                    assertEquals(N - figure.kept(), droppedTokens, where);
                }
            }
        }
    }

    @Test
    void droppedPixelsAreDarkGreyAndDifferFromMostColours() {
        for (int rgb : new int[] {0x000000, 0xFFFFFF, 0xFF0000, 0x00FF00, 0x0000FF, 0x808080, 0xFFA500}) {
            int d = MaskPicture.dropped(rgb);
            assertNotEquals(rgb, d);
            assertEquals(d >> 16 & 0xFF, d >> 8 & 0xFF, "red and green equal: a grey with a cool tint");
            assertTrue((d >> 16 & 0xFF) <= Math.round(255 * 0.43), "greyed pixels are dark: " + Integer.toHexString(d));
        }
        // luminance order survives, so the dropped content stays faintly readable
        assertTrue((MaskPicture.dropped(0xFFFFFF) >> 16 & 0xFF) > (MaskPicture.dropped(0x000000) >> 16 & 0xFF));
    }

    @Test
    void pngWriteLeavesNoTemporaryFileAndReplaces(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("sub/p.png");
        BufferedImage a = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        a.setRGB(1, 1, 0x123456);
        Png.write(a, file);
        BufferedImage b = new BufferedImage(5, 4, BufferedImage.TYPE_INT_RGB);
        Png.write(b, file);
        BufferedImage back = ImageIO.read(file.toFile());
        assertEquals(5, back.getWidth());
        assertEquals(4, back.getHeight());
        try (Stream<Path> s = Files.list(file.getParent())) {
            assertEquals(1, s.count(), "only the picture is left in " + file.getParent());
        }
    }

    @Test
    void colourMapsRunFromTheirFirstToTheirLastStop() {
        assertEquals(0x440154, Colormap.VIRIDIS.rgb(0));
        assertEquals(0xFDE725, Colormap.VIRIDIS.rgb(1));
        assertEquals(0x000004, Colormap.INFERNO.rgb(0));
        assertEquals(0xFCFFA4, Colormap.INFERNO.rgb(1));
        assertEquals(Colormap.VIRIDIS.rgb(1), Colormap.VIRIDIS.rgb(7), "clamped above");
        // stops are 1/9 apart: halfway between stop 4 (0x26828E) and stop 5 (0x1F9E89)
        int mid = Colormap.VIRIDIS.rgb(4.5 / 9);
        assertEquals(Math.round((0x26 + 0x1F) / 2.0), mid >> 16 & 0xFF);
        assertEquals(Math.round((0x82 + 0x9E) / 2.0), mid >> 8 & 0xFF);
        // perceptually ordered: luminance grows along viridis
        double last = -1;
        for (int i = 0; i <= 20; i++) {
            int c = Colormap.VIRIDIS.rgb(i / 20.0);
            double l = 0.299 * (c >> 16 & 0xFF) + 0.587 * (c >> 8 & 0xFF) + 0.114 * (c & 0xFF);
            assertTrue(l > last, "luminance at " + i / 20.0);
            last = l;
        }
        assertEquals("colour map 'jet', expected viridis or inferno",
                org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> Colormap.parse("jet")).getMessage());
    }
}
