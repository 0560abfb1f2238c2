package aclip4j.kernel;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bit-exact comparison of a vector path with the scalar specification (docs/SPEC.md §13): element by element,
 * {@code Float.floatToIntBits} must agree (so NaN equals NaN, but 0 and −0 differ). On failure the message names
 * the first differing index, both values with their bit patterns, and how many elements differ.
 */
public final class Bits {
    private Bits() {}

    public static void assertSameBits(String what, float[] expected, float[] actual) {
        if (expected.length != actual.length) {
            fail(what + ": length " + actual.length + ", expected " + expected.length);
        }
        int first = -1;
        int differing = 0;
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                if (first < 0) {
                    first = i;
                }
                differing++;
            }
        }
        if (first >= 0) {
            fail(String.format("%s: %d of %d elements differ from the scalar specification; first at [%d]:"
                            + " expected %.9g (0x%08x), actual %.9g (0x%08x)",
                    what, differing, expected.length, first, expected[first], Float.floatToIntBits(expected[first]),
                    actual[first], Float.floatToIntBits(actual[first])));
        }
    }

    public static void assertSameBits(String what, float expected, float actual) {
        assertSameBits(what, new float[] {expected}, new float[] {actual});
    }
}
