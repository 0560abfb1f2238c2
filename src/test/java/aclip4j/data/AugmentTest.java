package aclip4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AugmentTest {
    private static float[] randomImage(int H, int W, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[3 * H * W];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble();
        }
        return x;
    }

    private static float[] pixel(float r, float g, float b) {
        return new float[]{r, g, b};
    }

    @Test
    void grayscaleMakesChannelsEqualToLuma() {
        float[] x = randomImage(5, 7, 1), orig = x.clone();
        Augment.grayscale(x, 5, 7);
        int plane = 35;
        for (int p = 0; p < plane; p++) {
            double luma = 0.299 * orig[p] + 0.587 * orig[plane + p] + 0.114 * orig[2 * plane + p];
            assertEquals(luma, x[p], 1e-6);
            assertEquals(x[p], x[plane + p], 0f);
            assertEquals(x[p], x[2 * plane + p], 0f);
        }
    }

    @Test
    void solarizeInvertsAtAndAboveTheThreshold() {
        float t = 128f / 255f;
        float[] x = {0f, 0.2f, Math.nextDown(t), t, 0.6f, 1f};
        Augment.solarize(x, 1, 2, t);
        assertArrayEquals(new float[]{0f, 0.2f, Math.nextDown(t), 1 - t, 1 - 0.6f, 0f}, x, 0f);
    }

    @Test
    void normaliseUsesImagenetStatistics() {
        float[] x = {0.485f, 0.485f + 0.229f, 0.456f, 0f, 0.406f, 1f};
        Augment.normalize(x, 1, 2);
        assertEquals(0f, x[0], 1e-6f);
        assertEquals(1f, x[1], 1e-6f);
        assertEquals(0f, x[2], 1e-6f);
        assertEquals(-0.456f / 0.224f, x[3], 1e-6f);
        assertEquals(0f, x[4], 1e-6f);
        assertEquals((1 - 0.406f) / 0.225f, x[5], 1e-6f);
    }

    @Test
    void brightnessContrastSaturation() {
        float[] x = {0.2f, 0.8f, 0.4f, 0.1f, 0.6f, 0.3f}; // H=1, W=2
        float[] b = x.clone();
        Augment.adjustBrightness(b, 1, 2, 1.5f);
        assertArrayEquals(new float[]{0.3f, 1f, 0.6f, 0.15f, 0.9f, 0.45f}, b, 1e-6f);

        float[] c = x.clone();
        Augment.adjustContrast(c, 1, 2, 0f);
        double m = (0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6 + 0.299 * 0.8 + 0.587 * 0.1 + 0.114 * 0.3) / 2;
        for (float v : c) {
            assertEquals(m, v, 1e-6);
        }
        float[] c2 = x.clone();
        Augment.adjustContrast(c2, 1, 2, 2f);
        for (int i = 0; i < 6; i++) {
            assertEquals(Math.min(1, Math.max(0, 2 * x[i] - m)), c2[i], 1e-6);
        }

        float[] s = x.clone(), gray = x.clone();
        Augment.adjustSaturation(s, 1, 2, 0f);
        Augment.grayscale(gray, 1, 2);
        assertArrayEquals(gray, s, 1e-6f);
        float[] same = x.clone();
        Augment.adjustSaturation(same, 1, 2, 1f);
        assertArrayEquals(x, same, 1e-6f);
    }

    @Test
    void hueRotatesAroundTheColourWheel() {
        float[] red = pixel(1, 0, 0);
        Augment.adjustHue(red, 1, 1, 1f / 3);
        assertArrayEquals(pixel(0, 1, 0), red, 1e-6f);
        float[] red2 = pixel(1, 0, 0);
        Augment.adjustHue(red2, 1, 1, -1f / 3);
        assertArrayEquals(pixel(0, 0, 1), red2, 1e-6f);
        // Orange (hue 30°) plus 60° is chartreuse (hue 90°): (0.5, 1, 0).
        float[] orange = pixel(1, 0.5f, 0);
        Augment.adjustHue(orange, 1, 1, 1f / 6);
        assertArrayEquals(pixel(0.5f, 1, 0), orange, 1e-6f);
        // Grey has no hue.
        float[] grey = pixel(0.4f, 0.4f, 0.4f);
        Augment.adjustHue(grey, 1, 1, 0.2f);
        assertArrayEquals(pixel(0.4f, 0.4f, 0.4f), grey, 1e-6f);

        float[] x = randomImage(4, 6, 3), y = x.clone();
        Augment.adjustHue(y, 4, 6, 0f);
        assertArrayEquals(x, y, 1e-6f);
        Augment.adjustHue(y, 4, 6, 0.1f);
        assertFalse(Arrays.equals(x, y));
        Augment.adjustHue(y, 4, 6, -0.1f);
        assertArrayEquals(x, y, 1e-5f);
        assertThrows(IllegalArgumentException.class, () -> Augment.adjustHue(pixel(1, 0, 0), 1, 1, 0.7f));
    }

    @Test
    void blurKernelAndEffect() {
        float[] k = Augment.gaussianKernel(1.0);
        assertEquals(7, k.length); // radius ceil(3σ) = 3
        double sum = 0;
        for (int j = 0; j < k.length; j++) {
            sum += k[j];
            assertEquals(k[j], k[k.length - 1 - j], 0f);
        }
        assertEquals(1.0, sum, 1e-6);
        double z = 0;
        for (int j = -3; j <= 3; j++) {
            z += Math.exp(-j * j / 2.0);
        }
        assertEquals(Math.exp(-0.5) / z, k[4], 1e-7);
        assertEquals(3, Augment.gaussianKernel(0.1).length); // radius at least 1
        assertEquals(13, Augment.gaussianKernel(2.0).length);

        float[] constant = new float[3 * 5 * 4];
        Arrays.fill(constant, 0.3f);
        Augment.gaussianBlur(constant, 5, 4, 2.0); // radius 6 reflects more than once on a 4-pixel row
        for (float v : constant) {
            assertEquals(0.3f, v, 1e-6f);
        }
        // An impulse far from the borders becomes the outer product of the kernel.
        int H = 15, W = 15;
        float[] imp = new float[3 * H * W];
        imp[7 * W + 7] = 1f;
        Augment.gaussianBlur(imp, H, W, 1.0);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int dy = y - 7, dx = x - 7;
                float want = Math.abs(dy) <= 3 && Math.abs(dx) <= 3 ? k[dy + 3] * k[dx + 3] : 0f;
                assertEquals(want, imp[y * W + x], 1e-7f);
            }
        }
        // Reflection without repeating the edge: -1 -> 1, n -> n-2.
        assertEquals(1, Augment.reflect(-1, 5));
        assertEquals(3, Augment.reflect(5, 5));
        assertEquals(0, Augment.reflect(8, 5));
        assertEquals(2, Augment.reflect(-6, 5));
        assertEquals(0, Augment.reflect(3, 1));
    }

    @Test
    void sameSeedSameResultAndOffMeansIdentity() {
        Augment paper = new Augment(Augment.Config.paper());
        float[] base = randomImage(8, 8, 9);
        int differentSeeds = 0;
        for (long s = 0; s < 20; s++) {
            float[] a = base.clone(), b = base.clone(), c = base.clone();
            paper.apply(a, 8, 8, new SplittableRandom(s));
            paper.apply(b, 8, 8, new SplittableRandom(s));
            assertArrayEquals(a, b, 0f);
            paper.apply(c, 8, 8, new SplittableRandom(s + 1000));
            differentSeeds += Arrays.equals(a, c) ? 0 : 1;
            for (float v : a) {
                assertTrue(v >= 0f && v <= 1f, "augmented value " + v + " outside [0,1]");
            }
        }
        assertTrue(differentSeeds >= 18, differentSeeds + " of 20 seed pairs differ");
        float[] x = base.clone();
        new Augment(Augment.Config.none()).apply(x, 8, 8, new SplittableRandom(5));
        assertArrayEquals(base, x, 0f);
        float[] sol = base.clone(), want = base.clone();
        new Augment(Augment.Config.none().withSolarizeP(1)).apply(sol, 8, 8, new SplittableRandom(5));
        Augment.solarize(want, 8, 8, 128f / 255f);
        assertArrayEquals(want, sol, 0f);
    }

    @Test
    void probabilitiesAreHonoured() {
        // Grayscale (p 0.2) is the only step that leaves three equal channels; the others keep colour.
        Augment paper = new Augment(Augment.Config.paper());
        float[] base = randomImage(4, 4, 11);
        int gray = 0, jittered = 0, n = 1000;
        for (int s = 0; s < n; s++) {
            float[] a = base.clone();
            paper.apply(a, 4, 4, new SplittableRandom(s));
            boolean equal = true;
            for (int p = 0; p < 16; p++) {
                equal &= a[p] == a[16 + p] && a[p] == a[32 + p];
            }
            gray += equal ? 1 : 0;
            float[] j = base.clone();
            new Augment(Augment.Config.none().withJitterP(0.8)).apply(j, 4, 4, new SplittableRandom(s));
            jittered += Arrays.equals(j, base) ? 0 : 1;
        }
        assertTrue(gray > 160 && gray < 240, "grayscale in " + gray + " of " + n);
        assertTrue(jittered > 760 && jittered < 840, "jitter in " + jittered + " of " + n);
    }

    @Test
    void badConfigsAndShapesAreRejected() {
        Augment.Config p = Augment.Config.paper();
        assertThrows(IllegalArgumentException.class, () -> p.withGrayP(1.5));
        assertThrows(IllegalArgumentException.class, () -> new Augment.Config(0.8, 0.4, 0.4, 0.2, 0.6, 0.2, 0.1,
                0.1, 2, 0.2, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new Augment.Config(0.8, 0.4, 0.4, 0.2, 0.1, 0.2, 0.1,
                2, 1, 0.2, 0.5));
        assertThrows(IllegalArgumentException.class, () -> Augment.normalize(new float[5], 1, 2));
        assertThrows(IllegalArgumentException.class, () -> Augment.gaussianBlur(new float[3], 1, 1, 0));
    }
}
