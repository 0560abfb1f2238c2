package aclip4j.mask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BoxesTest {

    @Test
    void unionByHand() {
        Box a = new Box(10, 20, 100, 50);   // rows 10..110, columns 20..70
        Box b = new Box(40, 5, 30, 200);    // rows 40..70, columns 5..205
        assertEquals(new Box(10, 5, 100, 200), Boxes.union(List.of(a, b)));
        assertEquals(a, Boxes.union(List.of(a)));
    }

    @Test
    void enclosingByHand() {
        List<Box> views = List.of(new Box(10, 20, 100, 50), new Box(40, 5, 30, 200));
        // U = (10, 5, 100, 200): bottom 110, right 205; image 300 x 400
        // u = 0: top 0, left 0, then h in [110, 300] -> 110, w in [205, 400] -> 205
        assertEquals(new Box(0, 0, 110, 205), Boxes.enclosing(views, 300, 400, Boxes.Enclosing.RANDOM, 0, 0, 0, 0));
        // u = 1 (capped): top 10, left 5, h = 300 - 10, w = 400 - 5
        assertEquals(new Box(10, 5, 290, 395), Boxes.enclosing(views, 300, 400, Boxes.Enclosing.RANDOM, 1, 1, 1, 1));
        // u = 0.5: top = floor(0.5·11) = 5, left = floor(0.5·6) = 3,
        // h in [105, 295]: 105 + floor(0.5·191) = 200; w in [202, 397]: 202 + floor(0.5·196) = 300
        assertEquals(new Box(5, 3, 200, 300),
                Boxes.enclosing(views, 300, 400, Boxes.Enclosing.RANDOM, 0.5, 0.5, 0.5, 0.5));
        assertEquals(Boxes.union(views), Boxes.enclosing(views, 300, 400, Boxes.Enclosing.MINIMAL, 0.3, 0.9, 0.1, 0.7));
    }

    @Test
    void batchFormMatchesTheListForm() {
        int[] viewBoxes = {10, 20, 100, 50, 40, 5, 30, 200,    // image 0, views 0 and 1
                0, 0, 8, 8, 2, 3, 6, 5};                       // image 1
        int[] imageHw = {300, 400, 8, 8};
        float[] u = {0.5f, 0.5f, 0.5f, 0.5f, 0.9f, 0.1f, 0.2f, 0.3f};
        int[] out = Boxes.enclosing(viewBoxes, imageHw, u, 2, 2, Boxes.Enclosing.RANDOM);
        // image 1: the first view is the whole 8 x 8 image, so E must be too
        assertArrayEquals(new int[] {5, 3, 200, 300, 0, 0, 8, 8}, out);
        assertArrayEquals(new int[] {10, 5, 100, 200, 0, 0, 8, 8},
                Boxes.enclosing(viewBoxes, imageHw, null, 2, 2, Boxes.Enclosing.MINIMAL));
    }

    /** A 10 x 100 image never fits a crop of half its area at ratio ≤ 4/3: the centred, clamped fallback. */
    @Test
    void wideImageFallsBackToACentredCropWithTheRatioClamped() {
        SplittableRandom rng = new SplittableRandom(1);
        for (int k = 0; k < 20; k++) {
            // h = 10, w = round(10·4/3) = 13, left = (100 − 13) / 2 = 43
            assertEquals(new Box(0, 43, 10, 13), Boxes.randomResizedCrop(10, 100, rng));
            // tall: w = 10, h = round(10 / (3/4)) = 13, top = (100 − 13) / 2 = 43
            assertEquals(new Box(43, 0, 13, 10), Boxes.randomResizedCrop(100, 10, rng));
        }
        assertEquals(new Box(0, 0, 1, 1), Boxes.randomResizedCrop(1, 1, rng), "a 1 x 1 image is its own crop");
    }

    /** The ratio is log-uniform: on a large square image, log(w/h) averages 0 and spans the range. */
    @Test
    void samplingCoversTheStatedRanges() {
        SplittableRandom rng = new SplittableRandom(42);
        double sumLogRatio = 0;
        double minFraction = 1;
        double maxFraction = 0;
        double minRatio = 10;
        double maxRatio = 0;
        int n = 4000;
        for (int k = 0; k < n; k++) {
            Box b = Boxes.randomResizedCrop(1000, 1000, rng);
            double ratio = (double) b.w() / b.h();
            sumLogRatio += Math.log(ratio);
            minRatio = Math.min(minRatio, ratio);
            maxRatio = Math.max(maxRatio, ratio);
            double f = b.area() / 1e6;
            minFraction = Math.min(minFraction, f);
            maxFraction = Math.max(maxFraction, f);
        }
        assertEquals(0.0, sumLogRatio / n, 0.01, "log-ratio mean");
        assertTrue(minRatio < 0.76 && maxRatio > 1.32, "ratios span [3/4, 4/3]: " + minRatio + " .. " + maxRatio);
        assertTrue(minFraction < 0.51 && maxFraction > 0.97, "fractions span: " + minFraction + " .. " + maxFraction);
    }

    @Test
    void refusesBoxesOutsideTheImageAndBadDraws() {
        List<Box> views = List.of(new Box(10, 20, 100, 50));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Boxes.enclosing(views, 100, 400, Boxes.Enclosing.RANDOM, 0, 0, 0, 0));
        assertTrue(e.getMessage().contains("(10, 20, 100, 50)") && e.getMessage().contains("100 x 400"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Boxes.enclosing(views, 300, 400, Boxes.Enclosing.RANDOM, -0.1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> Boxes.enclosing(views, 300, 400, Boxes.Enclosing.RANDOM, 0, Double.NaN, 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> Boxes.enclosing(views, 300, 400, Boxes.Enclosing.RANDOM, 0, 0, 1.5, 0));
        assertThrows(IllegalArgumentException.class, () -> Boxes.union(List.of()));
        e = assertThrows(IllegalArgumentException.class, () -> new Box(-1, 0, 5, 5));
        assertTrue(e.getMessage().contains("(-1, 0, 5, 5)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Box(0, 0, 0, 5));
        e = assertThrows(IllegalArgumentException.class,
                () -> Boxes.enclosing(new int[] {0, 0, 4, 4, 0, 0, 9, 4}, new int[] {8, 8, 8, 8},
                        new float[8], 2, 1, Boxes.Enclosing.RANDOM));
        assertTrue(e.getMessage().startsWith("image 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Boxes.enclosing(new int[] {0, 0, 4, 4}, new int[] {8, 8}, null, 1, 1, Boxes.Enclosing.RANDOM));
        assertThrows(IllegalArgumentException.class, () -> Boxes.randomResizedCrop(0, 5, new SplittableRandom(1)));
        assertThrows(IllegalArgumentException.class, () -> Boxes.Enclosing.parse("largest"));
        assertEquals(Boxes.Enclosing.MINIMAL, Boxes.Enclosing.parse(" Minimal "));
    }
}
