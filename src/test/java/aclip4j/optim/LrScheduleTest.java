package aclip4j.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.commons.math3.util.FastMath;
import org.junit.jupiter.api.Test;

/** SPEC §8: numpy-linspace warm-up, then cosine decay. */
class LrScheduleTest {

    /** Values printed by numpy 2.x: {@code [float(x).hex() for x in np.linspace(a, b, n)]}. */
    @Test
    void warmUpMatchesNumpyLinspaceBitForBit() {
        assertArrayEquals(new double[] {0x1.0c6f7a0b5ed8dp-20, 0x1.6105452af4112p-14, 0x1.5eec6636dd537p-13,
                        0x1.06ab14ec204f3p-12, 0x1.5ddff6bcd1f4ap-12, 0x1.b514d88d839a1p-12, 0x1.0624dd2f1a9fcp-11},
                LrSchedule.schedule(5e-4, 1e-6, 0, 7, 7));
        assertArrayEquals(new double[] {0x0.0p+0, 0x1.179ec9cbd821dp-15, 0x1.179ec9cbd821dp-14,
                        0x1.a36e2eb1c432cp-14, 0x1.179ec9cbd821dp-13, 0x1.5d867c3ece2a4p-13, 0x1.a36e2eb1c432cp-13,
                        0x1.e955e124ba3b3p-13, 0x1.179ec9cbd821dp-12, 0x1.3a92a30553261p-12},
                LrSchedule.schedule(3e-4, 0.0, 0, 10, 10));
        // warming "down" is allowed: numpy's arithmetic does not care about the direction
        assertArrayEquals(new double[] {0x1.0624dd2f1a9fcp-11, 0x1.5ddff6bcd1f4ap-12, 0x1.5eec6636dd538p-13,
                        0x1.0c6f7a0b5ed8dp-20},
                LrSchedule.schedule(1e-6, 5e-4, 0, 4, 4));
        // a step that underflows to 0 takes numpy's (i/div)·delta branch
        assertArrayEquals(new double[] {0.0, 0.0, Double.MIN_VALUE},
                LrSchedule.schedule(Double.MIN_VALUE, 0.0, 0, 3, 3));
    }

    @Test
    void cosineMatchesTheClosedFormComputedAnotherWay() {
        double lr = 5e-4;
        double lrEnd = 1e-5;
        int warmup = 5;
        int total = 105;
        double[] s = LrSchedule.schedule(lr, 1e-6, lrEnd, warmup, total);
        assertEquals(total, s.length);
        for (int t = 0; t < total - warmup; t++) {
            // (1 + cos x)/2 = cos²(x/2)
            double c = FastMath.cos(FastMath.PI * t / (2.0 * (total - warmup)));
            assertEquals(lrEnd + (lr - lrEnd) * c * c, s[warmup + t], 1e-18, "t = " + t);
        }
        for (int i = 0; i < warmup; i++) {
            assertEquals(1e-6 + (lr - 1e-6) * i / (warmup - 1), s[i], 1e-18, "warm-up " + i);
        }
    }

    @Test
    void endpointsAndMonotonicity() {
        double lr = 3e-3;
        double lrStart = 1e-6;
        double lrEnd = 1e-5;
        LrSchedule schedule = new LrSchedule(lr, lrStart, lrEnd, 20, 200);
        double[] s = schedule.values();
        assertEquals(lrStart, s[0]);
        assertEquals(lr, s[19], "last warm-up step is exactly lr");
        assertEquals(lr, s[20], Math.ulp(lr), "the cosine starts at lr");
        assertEquals((lr + lrEnd) / 2, s[110], 1e-18, "halfway through the cosine");
        // the last step is t = Tc − 1, one short of lr_end: (lr − lrEnd)·sin²(π/(2·Tc)) above it
        double sin = Math.sin(Math.PI / 360);
        assertEquals(lrEnd + (lr - lrEnd) * sin * sin, s[199], 1e-18, "ends just above lr_end");
        for (int i = 1; i < 20; i++) {
            assertTrue(s[i] > s[i - 1], "warm-up rises at " + i);
        }
        for (int i = 21; i < 200; i++) {
            assertTrue(s[i] <= s[i - 1], "cosine falls at " + i);
        }
        for (int i = 0; i < 200; i++) {
            assertEquals(s[i], schedule.at(i));
        }
    }

    @Test
    void degenerateWarmUps() {
        assertEquals(1e-6, LrSchedule.schedule(1e-3, 1e-6, 0, 1, 5)[0], "one warm-up step is lr_start");
        double[] noWarmup = LrSchedule.schedule(1e-3, 1e-6, 0, 0, 4);
        assertArrayEquals(new double[] {1e-3, 1e-3 * (1 + Math.sqrt(0.5)) / 2, 1e-3 / 2, 1e-3 * (1 - Math.sqrt(0.5)) / 2},
                noWarmup, 1e-18);
        assertEquals(0, LrSchedule.schedule(1e-3, 0, 0, 0, 0).length);
        assertArrayEquals(new double[] {0.0, 0.5e-3, 1e-3}, LrSchedule.schedule(1e-3, 0, 0, 3, 3));
    }

    @Test
    void refusesImpossibleSchedules() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LrSchedule(1e-3, 0, 0, 11, 10));
        assertTrue(e.getMessage().contains("11") && e.getMessage().contains("10"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(1e-3, 0, 0, -1, 10));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(-1e-3, 0, 0, 1, 10));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(Double.NaN, 0, 0, 1, 10));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(1e-3, Double.POSITIVE_INFINITY, 0, 1, 10));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(1e-3, 0, -1e-5, 1, 10));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(1e-3, 0, 0, 1, 10).at(10));
    }
}
