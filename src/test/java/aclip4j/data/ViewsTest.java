package aclip4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ViewsTest {
    /** Image with value f(c, y, x). */
    private static RgbImage image(int H, int W, java.util.function.IntBinaryOperator... perChannel) {
        float[] px = new float[3 * H * W];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    px[(c * H + y) * W + x] = perChannel[c].applyAsInt(y, x);
                }
            }
        }
        return new RgbImage(px, H, W);
    }

    @Test
    void constantStaysConstant() {
        RgbImage img = image(7, 9, (y, x) -> 3, (y, x) -> 5, (y, x) -> 11);
        for (int[] box : new int[][]{{0, 0, 7, 9}, {1, 2, 5, 3}, {6, 8, 1, 1}}) {
            for (int size : new int[]{1, 2, 5, 13}) {
                float[] out = Views.crop(img, box, size);
                for (int c = 0; c < 3; c++) {
                    for (int p = 0; p < size * size; p++) {
                        float want = new float[]{3, 5, 11}[c];
                        // The blend (1-λ)a + λa rounds: equal to a within an ulp or two, as in PyTorch.
                        assertEquals(want, out[c * size * size + p], 2 * Math.ulp(want));
                    }
                }
            }
        }
    }

    @Test
    void upscaleOfARampMatchesHandComputedSamples() {
        // One row 0,1,2,3 to 8 columns: src = max(0, (d+0.5)/2 - 0.5) = 0, .25, .75, 1.25, 1.75, 2.25, 2.75, 3.25->3.
        RgbImage img = image(1, 4, (y, x) -> x, (y, x) -> 2 * x, (y, x) -> 0);
        RgbImage out = ImageOps.resizeCrop(img, 0, 0, 1, 4, 1, 8);
        float[] want = {0, 0.25f, 0.75f, 1.25f, 1.75f, 2.25f, 2.75f, 3};
        for (int x = 0; x < 8; x++) {
            assertEquals(want[x], out.get(0, 0, x), 1e-6f);
            assertEquals(2 * want[x], out.get(1, 0, x), 1e-6f);
            assertEquals(0f, out.get(2, 0, x), 0f);
        }
    }

    @Test
    void downscaleAndOffsetCrop() {
        // v = 100y + x: a linear function, reproduced exactly where no clamping happens.
        RgbImage img = image(8, 10, (y, x) -> 100 * y + x, (y, x) -> 100 * y + x + 1000, (y, x) -> -x);
        // Box rows 1..4, cols 2..7 to 2x3: scale 2, samples at 0.5 and 2.5 inside the crop.
        RgbImage out = ImageOps.resizeCrop(img, 1, 2, 4, 6, 2, 3);
        float[][] want = {{152.5f, 154.5f, 156.5f}, {352.5f, 354.5f, 356.5f}}; // rows 1.5, 3.5; cols 2.5, 4.5, 6.5
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                assertEquals(want[y][x], out.get(0, y, x), 1e-4f);
                assertEquals(want[y][x] + 1000, out.get(1, y, x), 1e-4f);
                assertEquals(-(2.5f + 2 * x), out.get(2, y, x), 1e-5f);
            }
        }
        // Same size: the crop itself.
        RgbImage same = ImageOps.resizeCrop(img, 3, 4, 2, 3, 2, 3);
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                assertEquals(100 * (3 + y) + 4 + x, same.get(0, y, x), 0f);
            }
        }
    }

    @Test
    void nonSquareScaleFactorsAndEdgeClamp() {
        // 3 columns to 2: scale 1.5, src = 0.25, 1.75; 2 rows to 5: scale 0.4, src = max(0, -0.3)=0, 0.1, 0.5, 0.9, 1.3 -> i0=1, i1=1.
        RgbImage img = image(2, 3, (y, x) -> 10 * y + x, (y, x) -> 0, (y, x) -> 0);
        RgbImage out = ImageOps.resizeCrop(img, 0, 0, 2, 3, 5, 2);
        float[] ys = {0, 0.1f, 0.5f, 0.9f, 1f};
        float[] xs = {0.25f, 1.75f};
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 2; x++) {
                assertEquals(10 * ys[y] + xs[x], out.get(0, y, x), 1e-5f, "at " + y + "," + x);
            }
        }
    }

    @Test
    void boxesOutsideTheImageAreRejected() {
        RgbImage img = RgbImage.zeros(4, 4);
        for (int[] box : new int[][]{{-1, 0, 2, 2}, {0, 0, 5, 1}, {3, 3, 2, 1}, {0, 0, 0, 2}}) {
            assertThrows(IllegalArgumentException.class, () -> Views.crop(img, box, 2));
        }
        assertThrows(IllegalArgumentException.class, () -> Views.crop(img, new int[]{0, 0, 2}, 2));
        assertThrows(IllegalArgumentException.class, () -> Views.crop(img, new int[]{0, 0, 2, 2}, 0));
    }

    @Test
    void renderAugmentsOnlineViewsAndOnlyNormalisesTheEmaView() {
        RgbImage img = new ScenesDataset(1, Split.TRAIN, 5, 48, 48).image(2);
        int[][] boxes = {{0, 0, 40, 30}, {8, 10, 40, 38}};
        int[] ema = {0, 0, 48, 48};
        Views.Sample plain = Views.render(img, boxes, 16, ema, 8, new Augment(Augment.Config.none()),
                new SplittableRandom(1));
        for (int v = 0; v < 2; v++) {
            float[] want = Views.crop(img, boxes[v], 16);
            Augment.normalize(want, 16, 16);
            assertArrayEquals(want, plain.online()[v], 0f);
        }
        float[] wantEma = Views.crop(img, ema, 8);
        Augment.normalize(wantEma, 8, 8);
        assertArrayEquals(wantEma, plain.ema(), 0f);

        Augment gray = new Augment(Augment.Config.none().withGrayP(1));
        Views.Sample g1 = Views.render(img, boxes, 16, ema, 8, gray, new SplittableRandom(2));
        // Gray then normalise: channel c holds (g - mean_c)/std_c, so c0*std0+mean0 == c1*std1+mean1.
        for (int p = 0; p < 256; p++) {
            float a = g1.online()[0][p] * Augment.STD[0] + Augment.MEAN[0];
            float b = g1.online()[0][256 + p] * Augment.STD[1] + Augment.MEAN[1];
            assertEquals(a, b, 1e-5f);
        }
        assertArrayEquals(wantEma, g1.ema(), 0f, "the EMA view is never augmented");

        Augment paper = new Augment(Augment.Config.paper());
        Views.Sample a = Views.render(img, boxes, 16, ema, 8, paper, new SplittableRandom(42));
        Views.Sample b = Views.render(img, boxes, 16, ema, 8, paper, new SplittableRandom(42));
        for (int v = 0; v < 2; v++) {
            assertArrayEquals(a.online()[v], b.online()[v], 0f);
        }
        assertNull(Views.render(img, boxes, 16, null, 8, paper, new SplittableRandom(1)).ema());
    }
}
