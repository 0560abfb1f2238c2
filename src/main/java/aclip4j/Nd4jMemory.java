package aclip4j;

import java.lang.management.ManagementFactory;

/**
 * A ceiling for the memory ND4J holds outside the Java heap. ND4J's arrays live in native memory that is only
 * freed when the garbage collector finds their Java handles; the heap stays small, so nothing prompts a
 * collection, and a SameDiff forward + backward of {@code vit-s16} at B = 8 (about 6 GB of temporaries per call)
 * grew the process to 24 GB until the kernel killed it. JavaCPP collects garbage itself once the process's
 * resident size passes {@code org.bytedeco.javacpp.maxPhysicalBytes}; set to 8 GB, the same loop stayed near
 * 7.5 GB, and with this class's default on the 24 GB dev machine {@code TowerBench vit-s16 8 2} peaked at 14.9 GB
 * (both measured). This sets it, unless the user did, to 60 % of the machine's memory. It must run before
 * the first ND4J or JavaCPP class loads: {@code main} methods call it first.
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
