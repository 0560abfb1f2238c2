package aclip4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link Nd4jMemory}: the off-heap ceiling is 60 % of the machine's memory unless the user chose one. */
class Nd4jMemoryTest {
    private static final String LOWER = Nd4jMemory.PROPERTY.toLowerCase();
    private String saved;
    private String savedLower;

    @BeforeEach
    void clear() {
        saved = System.clearProperty(Nd4jMemory.PROPERTY);
        savedLower = System.clearProperty(LOWER);
    }

    @AfterEach
    void restore() {
        System.clearProperty(Nd4jMemory.PROPERTY);
        System.clearProperty(LOWER);
        if (saved != null) {
            System.setProperty(Nd4jMemory.PROPERTY, saved);
        }
        if (savedLower != null) {
            System.setProperty(LOWER, savedLower);
        }
    }

    @Test
    void setsSixtyPercentOfPhysicalMemoryWhenUnset() {
        long total = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        Nd4jMemory.capOffHeap();
        assertEquals(Long.toString(total / 10 * 6), System.getProperty(Nd4jMemory.PROPERTY));
        assertTrue(total / 10 * 6 > 0);
    }

    @Test
    void keepsTheUsersValueInEitherSpelling() {
        System.setProperty(Nd4jMemory.PROPERTY, "5g");
        Nd4jMemory.capOffHeap();
        assertEquals("5g", System.getProperty(Nd4jMemory.PROPERTY));

        System.clearProperty(Nd4jMemory.PROPERTY);
        System.setProperty(LOWER, "7g");
        Nd4jMemory.capOffHeap();
        assertNull(System.getProperty(Nd4jMemory.PROPERTY));
        assertEquals("7g", System.getProperty(LOWER));
    }
}
