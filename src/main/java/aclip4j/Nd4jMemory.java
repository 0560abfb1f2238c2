package aclip4j;

import java.lang.management.ManagementFactory;

/**
 * A ceiling for the memory ND4J holds outside the Java heap. ND4J's arrays live in native memory that is only
 * freed when the garbage collector finds their Java handles, and the Java heap stays small, so nothing prompts a
 * collection: without a ceiling a loop of SameDiff calls grows until the kernel kills the process. JavaCPP collects
 * garbage itself once the resident size passes {@code org.bytedeco.javacpp.maxPhysicalBytes}; this sets it, unless
 * the user did, to 60 % of the machine's memory (BENCHMARKS.md "ND4J native memory" has the measurements). It must
 * run before the first ND4J or JavaCPP class loads: {@code main} methods call it first.
 */
public final class Nd4jMemory {
    /** The JavaCPP property; JavaCPP also reads it in lower case. */
    public static final String PROPERTY = "org.bytedeco.javacpp.maxPhysicalBytes";

    private Nd4jMemory() {}

    /** Sets {@link #PROPERTY} to 60 % of physical memory when neither spelling of it is set. */
    public static void capOffHeap() {
        if (System.getProperty(PROPERTY) != null || System.getProperty(PROPERTY.toLowerCase()) != null) {
            return;
        }
        long total = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        if (total > 0) {
            System.setProperty(PROPERTY, Long.toString(total / 10 * 6));
        }
    }
}
