package aclip4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScenesDatasetTest {
    private static final int S = 64;

    @Test
    void sceneIsAPureFunctionOfSeedSplitAndIndex() {
        ScenesDataset a = new ScenesDataset(7, Split.TRAIN, 1000, S, S);
        ScenesDataset b = new ScenesDataset(7, Split.TRAIN, 20, S, S); // another size, other call order
        RgbImage b17 = b.image(17);
        RgbImage b3 = b.image(3);
        assertArrayEquals(a.image(3).chw(), b3.chw());
        assertArrayEquals(a.image(17).chw(), b17.chw());
        assertEquals(a.captions(17), b.captions(17));
        assertEquals(a.label(17), b.label(17));
        assertArrayEquals(a.image(3).chw(), a.image(3).chw());
    }

    @Test
    void seedsAndSplitsDiffer() {
        ScenesDataset s1 = new ScenesDataset(1, Split.TRAIN, 50, S, S);
        ScenesDataset s2 = new ScenesDataset(2, Split.TRAIN, 50, S, S);
        ScenesDataset t1 = new ScenesDataset(1, Split.TEST, 50, S, S);
        int sameCaptions = 0;
        for (int i = 0; i < 50; i++) {
            assertFalse(Arrays.equals(s1.image(i).chw(), s2.image(i).chw()), "seeds 1 and 2 give image " + i);
            assertFalse(Arrays.equals(s1.image(i).chw(), t1.image(i).chw()), "train and test give image " + i);
            sameCaptions += s1.captions(i).equals(s2.captions(i)) ? 1 : 0;
        }
        assertTrue(sameCaptions < 3, sameCaptions + " of 50 scenes share captions across seeds");
    }

    @Test
    void captionsNameTheMainObjectFirstAndLabelsAgree() {
        ScenesDataset d = new ScenesDataset(3, Split.TRAIN, 1000, S, S);
        Set<Integer> labels = new HashSet<>();
        int[] counts = new int[4];
        for (int i = 0; i < 1000; i++) {
            Scene sc = d.scene(i);
            Scene.Obj m = sc.main();
            String name = m.colour().word() + " " + m.shape().word();
            assertEquals(name, d.classNames().get(d.label(i)), "label of scene " + i);
            labels.add(d.label(i));
            counts[sc.objects().size()]++;
            List<String> caps = d.captions(i);
            assertTrue(caps.size() >= 2);
            assertEquals(caps.size(), new HashSet<>(caps).size(), "phrasings differ: " + caps);
            for (String c : caps) {
                int at = c.indexOf(name);
                assertTrue(at >= 0, "caption '" + c + "' does not name " + name);
                for (Scene.Obj o : sc.objects().subList(1, sc.objects().size())) {
                    int other = c.indexOf(o.colour().word() + " " + o.shape().word());
                    assertTrue(other > at, "caption '" + c + "' names " + o.className() + " before the main object");
                    assertFalse(o.shape() == m.shape() && o.colour() == m.colour(), "distractor equals main object");
                }
                assertFalse(c.contains(" a orange") || c.startsWith("a orange"), c);
            }
            assertTrue(caps.get(0).contains(m.sizedName() + " " + m.at()), caps.get(0));
        }
        assertEquals(d.classNames().size(), labels.size(), "every colour+shape class occurs in 1000 scenes");
        assertEquals(7 * 7, d.classNames().size());
        for (int n = 1; n <= 3; n++) {
            assertTrue(counts[n] > 150, "scenes with " + n + " objects: " + counts[n]);
        }
    }

    @Test
    void positionWordsMatchTheCentre() {
        ScenesDataset d = new ScenesDataset(4, Split.TEST, 300, S, S);
        for (int i = 0; i < 300; i++) {
            for (Scene.Obj o : d.scene(i).objects()) {
                assertEquals(o.col(), (int) (o.cx() * 3 / S), "column of " + o);
                assertEquals(o.row(), (int) (o.cy() * 3 / S), "row of " + o);
                assertTrue(o.cx() >= o.radius() && o.cx() <= S - o.radius(), "object inside horizontally");
                assertTrue(o.cy() >= o.radius() && o.cy() <= S - o.radius(), "object inside vertically");
            }
        }
    }

    @Test
    void mainObjectIsUsuallySmall() {
        ScenesDataset d = new ScenesDataset(5, Split.TRAIN, 500, S, S);
        double[] area = new double[500];
        for (int i = 0; i < 500; i++) {
            float[] cov = ScenesDataset.coverage(d.scene(i).main(), S, S);
            double sum = 0;
            for (float v : cov) {
                sum += v;
            }
            area[i] = sum / (S * S);
            assertTrue(area[i] > 0.002, "main object of scene " + i + " is visible: area " + area[i]);
        }
        Arrays.sort(area);
        assertTrue(area[250] < 0.15, "median main-object area " + area[250]);
        assertTrue(area[150] < 0.05, "30% of main objects under 5% of the image: " + area[150]);
    }

    @Test
    void mainObjectIsDrawnOnTopInItsColour() {
        ScenesDataset d = new ScenesDataset(6, Split.TRAIN, 40, S, S);
        int plane = S * S;
        for (int i = 0; i < 40; i++) {
            Scene sc = d.scene(i);
            RgbImage img = d.render(sc);
            float[] cov = ScenesDataset.coverage(sc.main(), S, S);
            int full = 0;
            for (int p = 0; p < plane; p++) {
                if (cov[p] == 1f) {
                    full++;
                    for (int c = 0; c < 3; c++) {
                        assertEquals(sc.main().rgb()[c], img.chw()[c * plane + p], 0f, "scene " + i + " pixel " + p);
                    }
                }
            }
            assertTrue(full > 0, "scene " + i + " has interior pixels");
            for (float v : img.chw()) {
                assertTrue(v >= 0f && v <= 1f, "pixel in [0,1]: " + v);
            }
        }
    }

    @Test
    void backgroundIsCluttered() {
        // Outside the objects the background varies (blobs, lines, noise) but stays low-contrast.
        ScenesDataset d = new ScenesDataset(8, Split.TRAIN, 20, S, S);
        for (int i = 0; i < 20; i++) {
            Scene sc = d.scene(i);
            RgbImage img = d.render(sc);
            boolean[] free = new boolean[S * S];
            Arrays.fill(free, true);
            for (Scene.Obj o : sc.objects()) {
                float[] cov = ScenesDataset.coverage(o, S, S);
                for (int p = 0; p < S * S; p++) {
                    free[p] &= cov[p] == 0f;
                }
            }
            List<Float> red = new ArrayList<>();
            for (int p = 0; p < S * S; p++) {
                if (free[p]) {
                    red.add(img.chw()[p]);
                }
            }
            double mean = red.stream().mapToDouble(Float::doubleValue).average().orElseThrow();
            double var = red.stream().mapToDouble(v -> (v - mean) * (v - mean)).average().orElseThrow();
            assertTrue(Math.sqrt(var) > 0.015 && Math.sqrt(var) < 0.15, "background std " + Math.sqrt(var));
        }
    }

    @Test
    void shapesAreWhatTheyAreCalled() {
        assertTrue(SceneShape.CIRCLE.contains(0, 0) && !SceneShape.CIRCLE.contains(0.75, 0.75));
        assertTrue(!SceneShape.RING.contains(0, 0) && SceneShape.RING.contains(0.8, 0));
        assertTrue(SceneShape.SQUARE.contains(0.65, 0.65) && !SceneShape.SQUARE.contains(0.75, 0));
        assertTrue(SceneShape.DIAMOND.contains(0.9, 0) && !SceneShape.DIAMOND.contains(0.5, 0.6));
        assertTrue(SceneShape.CROSS.contains(0.9, 0) && !SceneShape.CROSS.contains(0.5, 0.5));
        assertTrue(SceneShape.TRIANGLE.contains(0, -0.9) && !SceneShape.TRIANGLE.contains(0.5, -0.5)
                && SceneShape.TRIANGLE.contains(0.8, 0.45) && !SceneShape.TRIANGLE.contains(0, 0.6));
        assertTrue(SceneShape.STAR.contains(0, -0.95) && SceneShape.STAR.contains(0, 0)
                && !SceneShape.STAR.contains(0, -1.05) && !SceneShape.STAR.contains(0.3, -0.6));
        for (SceneShape s : SceneShape.values()) {
            int in = 0, n = 200;
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    double u = -1 + (x + 0.5) * 2 / n, v = -1 + (y + 0.5) * 2 / n;
                    if (s.contains(u, v)) {
                        in++;
                        assertTrue(u * u + v * v <= 1.0001, s + " leaves the unit disc at " + u + "," + v);
                    }
                }
            }
            double area = in * 4.0 / (n * n);
            assertTrue(area > 0.25 * Math.PI && area <= Math.PI * 1.01, s + " area " + area);
        }
    }

    @Test
    void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new ScenesDataset(0, Split.TRAIN, 0, S, S));
        assertThrows(IllegalArgumentException.class, () -> new ScenesDataset(0, Split.TRAIN, 5, 8, S));
        ScenesDataset d = new ScenesDataset(0, Split.TRAIN, 5, S, S);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.image(5));
        assertTrue(e.getMessage().contains("5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> d.captions(-1));
    }

    @Test
    void otherSizesWork() {
        ScenesDataset d = new ScenesDataset(9, Split.TRAIN, 10, 32, 48);
        RgbImage img = d.image(0);
        assertEquals(32, img.height());
        assertEquals(48, img.width());
        assertEquals(32, img.toBufferedImage().getHeight());
    }

    @Test
    void promptsFillTemplatesWithArticles() {
        ScenesDataset d = new ScenesDataset(0, Split.TRAIN, 1, S, S);
        int orangeStar = ScenesDataset.classIndex(SceneColour.ORANGE, SceneShape.STAR);
        assertEquals("orange star", d.classNames().get(orangeStar));
        List<String> p = d.prompts(orangeStar);
        assertEquals("a photo of an orange star.", p.get(0));
        assertEquals("an orange star in a scene.", p.get(1));
        assertEquals(d.templates().size(), p.size());
    }
}
