package aclip4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VecMathTest {
    @Test
    void sumLanesAddsLeftToRight() {
        // random magnitudes make a tree's rounding differ from a left-to-right sum in most trials
        SplittableRandom r = new SplittableRandom(7);
        float[] x = new float[16];
        for (int trial = 0; trial < 1000; trial++) {
            float want = 0;
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) ((r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(8)));
                want += x[i];
            }
            assertEquals(Float.floatToIntBits(want),
                    Float.floatToIntBits(VecMath.sumLanes(FloatVector.fromArray(FloatVector.SPECIES_512, x, 0))));
        }
    }
}
