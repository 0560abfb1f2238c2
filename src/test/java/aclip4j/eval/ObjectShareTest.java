package aclip4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ObjectShareTest {
    /** A 16x16 source, object covering the top-left 4x4 pixels fully and pixel (4, 4) by half. */
    private static float[] coverage() {
        float[] c = new float[16 * 16];
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                c[y * 16 + x] = 1f;
            }
        }
        c[4 * 16 + 4] = 0.5f;
        return c;
    }

    @Test
    void wholeImageViewPutsTheMassInTheRightPatches() {
        // view = the whole image at S = 16, patch 4: G = 4; the object fills token 0 and a half pixel of token 5
        double[] m = ObjectShare.patchMass(coverage(), 16, 16, new int[] {0, 0, 16, 16}, 16, 4);
        assertEquals(16, m.length);
        assertEquals(16.0, m[0], 0);
        assertEquals(0.5, m[5], 0);
        assertEquals(16.5, java.util.Arrays.stream(m).sum(), 0);
        assertEquals(16.0 / 16.5, ObjectShare.keptShare(m, new int[] {0, 1}, 0, 2, 1e-6), 1e-12);
        assertEquals(0.5 / 16.5, ObjectShare.keptShare(m, new int[] {9, 5, 3}, 1, 1, 1e-6), 1e-12);
        assertEquals(1.0, ObjectShare.keptShare(m, new int[] {0, 5}, 0, 2, 1e-6), 1e-12);
    }

    @Test
    void aCropZoomsTheObject() {
        // view = the top-left 8x8 pixels resized to 16x16: each source pixel becomes 2x2 view pixels, the object's
        // 4x4 block fills the view's top-left 8x8 pixels = tokens 0, 1, 4, 5 (patch 4, G = 4); the half-covered
        // source pixel (4, 4) becomes view pixels (8..9, 8..9), in token 10
        double[] m = ObjectShare.patchMass(coverage(), 16, 16, new int[] {0, 0, 8, 8}, 16, 4);
        assertEquals(16.0, m[0], 0);
        assertEquals(16.0, m[1], 0);
        assertEquals(16.0, m[4], 0);
        assertEquals(16.0, m[5], 0);
        assertEquals(2.0, m[10], 0);
        assertEquals(66.0, java.util.Arrays.stream(m).sum(), 0);
    }

    @Test
    void aViewWithoutTheObjectHasNoShareAndBadInputIsRefused() {
        double[] m = ObjectShare.patchMass(coverage(), 16, 16, new int[] {8, 8, 8, 8}, 16, 4);
        assertTrue(Double.isNaN(ObjectShare.keptShare(m, new int[] {0}, 0, 1, 1e-6)));
        assertThrows(IllegalArgumentException.class, () -> ObjectShare.patchMass(new float[3], 16, 16,
                new int[] {0, 0, 16, 16}, 16, 4));
        assertThrows(IllegalArgumentException.class, () -> ObjectShare.patchMass(coverage(), 16, 16,
                new int[] {0, 0, 16, 16}, 15, 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ObjectShare.keptShare(new double[] {1, 1}, new int[] {2}, 0, 1, 1e-6));
        assertTrue(e.getMessage().contains("token 2"), e.getMessage());
    }
}
