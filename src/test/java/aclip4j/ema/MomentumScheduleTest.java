package aclip4j.ema;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.commons.math3.util.FastMath;
import org.junit.jupiter.api.Test;

/** SPEC §7: m_i = 1 − (1 − m0)(1 + cos(π i/I))/2. */
class MomentumScheduleTest {

    @Test
    void matchesTheClosedFormComputedAnotherWay() {
        for (int steps : new int[] {1, 2, 3, 10, 97, 1000}) {
            for (double m0 : new double[] {0.996, 0.99, 0.0, 1.0}) {
                double[] m = MomentumSchedule.schedule(m0, steps);
                assertEquals(steps, m.length);
                for (int i = 0; i < steps; i++) {
                    // (1 + cos x)/2 = cos²(x/2)
                    double c = FastMath.cos(FastMath.PI * i / (2.0 * steps));
                    double want = 1 - (1 - m0) * c * c;
                    assertEquals(want, m[i], 1e-15, "steps " + steps + " m0 " + m0 + " i " + i);
                    assertEquals(m[i], MomentumSchedule.momentum(m0, i, steps));
                }
            }
        }
    }

    @Test
    void startsAtM0AndRisesMonotonicallyTowardsOne() {
        double[] m = MomentumSchedule.schedule(0.996, 500);
        assertEquals(0.996, m[0], 1e-16);
        for (int i = 1; i < m.length; i++) {
            assertTrue(m[i] >= m[i - 1], "not rising at " + i);
            assertTrue(m[i] < 1.0);
        }
        assertEquals(1 - 0.004 / 2, m[250], 1e-15, "halfway: cos(π/2) = 0");
        assertTrue(1.0 - m[499] < 1e-7);
        assertEquals(1.0, MomentumSchedule.momentum(0.996, 500, 500), 1e-16);
    }

    @Test
    void edgeCases() {
        assertArrayEquals(new double[] {0.9}, MomentumSchedule.schedule(0.9, 1), 1e-16);
        assertEquals(0, MomentumSchedule.schedule(0.9, 0).length);
        assertThrows(IllegalArgumentException.class, () -> MomentumSchedule.schedule(1.5, 3));
        assertThrows(IllegalArgumentException.class, () -> MomentumSchedule.schedule(Double.NaN, 3));
        assertThrows(IllegalArgumentException.class, () -> MomentumSchedule.schedule(0.9, -1));
        assertThrows(IllegalArgumentException.class, () -> MomentumSchedule.momentum(0.9, 4, 3));
        assertThrows(IllegalArgumentException.class, () -> MomentumSchedule.momentum(0.9, 0, 0));
    }
}
