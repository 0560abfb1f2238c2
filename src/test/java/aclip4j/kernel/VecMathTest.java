package aclip4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class VecMathTest {
    @Test
    void expIsWithinTwoUlpOfMathExpAndEqualsItsScalarTwin() {
        SplittableRandom r = new SplittableRandom(1);
        for (Lanes lanes : Lanes.testWidths()) {
            if (lanes.scalar()) {
                continue;
            }
            VectorSpecies<Float> sp = lanes.species();
            float[] x = new float[sp.length()];
            float[] y = new float[sp.length()];
            for (int trial = 0; trial < 20000; trial++) {
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (r.nextDouble() * 180 - 90);
                }
                VecMath.exp(FloatVector.fromArray(sp, x, 0)).intoArray(y, 0);
                for (int i = 0; i < x.length; i++) {
                    assertEquals(Float.floatToIntBits(VecMath.expScalar(x[i])), Float.floatToIntBits(y[i]),
                            "vector and scalar twin differ at x=" + x[i]);
                    double want = Math.exp(x[i]);
                    if (x[i] < -87.33654f) {
                        assertEquals(0f, y[i], "x=" + x[i]);
                    } else if (x[i] > 88.72283f) {
                        assertEquals(Float.POSITIVE_INFINITY, y[i]);
                    } else {
                        assertTrue(Math.abs(y[i] - want) <= 2 * Math.ulp((float) want), "exp(" + x[i] + ") = " + y[i]
                                + ", want " + want);
                    }
                }
            }
        }
    }

    @Test
    void expOfSpecialValues() {
        assertEquals(1f, VecMath.expScalar(0f));
        assertEquals(0f, VecMath.expScalar(-1e9f));
        assertEquals(0f, VecMath.expScalar(Float.NEGATIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, VecMath.expScalar(Float.POSITIVE_INFINITY));
        assertTrue(Float.isNaN(VecMath.expScalar(Float.NaN)));
        float[] x = {Float.NaN, 0f, -1e9f, 1f, -1f, 88f, -87f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f};
        float[] y = new float[16];
        VecMath.exp(FloatVector.fromArray(FloatVector.SPECIES_512, x, 0)).intoArray(y, 0);
        assertTrue(Float.isNaN(y[0]));
        assertEquals(1f, y[1]);
        assertEquals(0f, y[2]);
    }

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
