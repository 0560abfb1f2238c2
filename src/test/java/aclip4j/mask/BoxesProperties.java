package aclip4j.mask;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** SPEC §4: crops inside the image with the stated area and ratio; the EMA box encloses every view. */
class BoxesProperties {

    @Property(tries = 200)
    void cropsLieInsideTheImageWithAreaAndRatioInRange(@ForAll @IntRange(min = 1, max = 600) int imageH,
                                                       @ForAll @IntRange(min = 1, max = 600) int imageW,
                                                       @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double area = (double) imageH * imageW;
        double inRatio = (double) imageW / imageH;
        for (int k = 0; k < 20; k++) {
            Box b = Boxes.randomResizedCrop(imageH, imageW, rng);
            assertTrue(b.insideImage(imageH, imageW), b + " outside " + imageH + " x " + imageW);
            if (b.h() == imageH && b.w() == imageW) {
                continue; // the whole image: the fallback for images of in-range ratio, or a crop that filled it
            }
            boolean fallback = inRatio < Boxes.RATIO_MIN || inRatio > Boxes.RATIO_MAX;
            if (fallback && (b.h() == imageH || b.w() == imageW)
                    && b.top() == (imageH - b.h()) / 2 && b.left() == (imageW - b.w()) / 2) {
                continue; // possibly the clamped-ratio centred fallback, checked in BoxesTest
            }
            // w = round(sqrt(A r)), h = round(sqrt(A / r)): each within 0.5 of its real value
            double hi = (b.w() + 0.5) * (b.h() + 0.5);
            double lo = (b.w() - 0.5) * (b.h() - 0.5);
            assertTrue(hi >= Boxes.SCALE_MIN * area && lo <= Boxes.SCALE_MAX * area,
                    b + " area fraction " + b.area() / area + " out of [0.5, 1] beyond rounding");
            assertTrue((b.w() + 0.5) / (b.h() - 0.5) >= Boxes.RATIO_MIN
                    && (b.w() - 0.5) / (b.h() + 0.5) <= Boxes.RATIO_MAX, b + " ratio out of range");
        }
    }

    @Property(tries = 50)
    void sameSeedSameBoxes(@ForAll @IntRange(min = 1, max = 400) int imageH,
                           @ForAll @IntRange(min = 1, max = 400) int imageW, @ForAll long seed) {
        SplittableRandom a = new SplittableRandom(seed);
        SplittableRandom b = new SplittableRandom(seed);
        for (int k = 0; k < 10; k++) {
            Box va = Boxes.randomResizedCrop(imageH, imageW, a);
            assertEquals(va, Boxes.randomResizedCrop(imageH, imageW, b));
            List<Box> views = List.of(va, Boxes.randomResizedCrop(imageH, imageW, a));
            assertEquals(Boxes.enclosing(views, imageH, imageW, Boxes.Enclosing.RANDOM, a),
                    Boxes.enclosing(List.of(va, Boxes.randomResizedCrop(imageH, imageW, b)), imageH, imageW,
                            Boxes.Enclosing.RANDOM, b));
        }
    }

    @Property(tries = 200)
    void enclosingBoxContainsEveryViewAndLiesInsideTheImage(@ForAll @IntRange(min = 1, max = 500) int imageH,
                                                            @ForAll @IntRange(min = 1, max = 500) int imageW,
                                                            @ForAll @IntRange(min = 1, max = 4) int views,
                                                            @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Box> boxes = new ArrayList<>();
        for (int v = 0; v < views; v++) {
            boxes.add(Boxes.randomResizedCrop(imageH, imageW, rng));
        }
        Box union = Boxes.union(boxes);
        for (int k = 0; k < 10; k++) {
            // draws at the ends of [0, 1] as well as inside
            double[] u = new double[4];
            for (int j = 0; j < 4; j++) {
                int pick = rng.nextInt(6);
                u[j] = pick == 0 ? 0.0 : pick == 1 ? 1.0 : pick == 2 ? Math.nextDown(1.0f) : rng.nextDouble();
            }
            Box e = Boxes.enclosing(boxes, imageH, imageW, Boxes.Enclosing.RANDOM, u[0], u[1], u[2], u[3]);
            assertTrue(e.insideImage(imageH, imageW), e + " outside " + imageH + " x " + imageW);
            assertTrue(e.contains(union), e + " misses the union " + union);
            for (Box b : boxes) {
                assertTrue(e.contains(b), e + " misses view " + b);
            }
        }
        assertEquals(union, Boxes.enclosing(boxes, imageH, imageW, Boxes.Enclosing.MINIMAL, rng));
    }

    @Property(tries = 200)
    void integerDrawsCoverTheRangeUniformly(@ForAll @IntRange(min = -50, max = 50) int lo,
                                            @ForAll @IntRange(min = 0, max = 60) int width) {
        int hi = lo + width;
        int n = width + 1;
        // u in the middle of the k-th of n equal slices of [0, 1) draws lo + k
        for (int k = 0; k < n; k++) {
            assertEquals(lo + k, Boxes.drawInt((k + 0.5) / n, lo, hi));
        }
        // slice edges are exact when n is a power of two: u = k/n starts slice k
        int pow2 = Integer.highestOneBit(n);
        for (int k = 0; k < pow2; k++) {
            assertEquals(lo + k, Boxes.drawInt((double) k / pow2, lo, lo + pow2 - 1));
            if (k > 0) {
                assertEquals(lo + k - 1, Boxes.drawInt(Math.nextDown((double) k / pow2), lo, lo + pow2 - 1));
            }
        }
        assertEquals(lo, Boxes.drawInt(0.0, lo, hi));
        assertEquals(hi, Boxes.drawInt(Math.nextDown(1.0), lo, hi));
        assertEquals(hi, Boxes.drawInt(1.0, lo, hi), "u = 1 is capped at hi");
    }
}
