package aclip4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void setsSixtyPercentOfPhysicalMemoryWhenUnset() throws Exception {
        Nd4jMemory.capOffHeap();
        long cap = Long.parseLong(System.getProperty(Nd4jMemory.PROPERTY));
        // against the kernel's own count of the machine's memory, not the JVM's bean the code reads
        java.nio.file.Path meminfo = java.nio.file.Path.of("/proc/meminfo");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isReadable(meminfo), "no /proc/meminfo");
        long kb = java.nio.file.Files.readAllLines(meminfo).stream().filter(l -> l.startsWith("MemTotal:"))
                .map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElseThrow();
        double share = cap / (kb * 1024.0);
        assertEquals(0.6, share, 0.01, "cap " + cap + " bytes of MemTotal " + kb + " kB");
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
