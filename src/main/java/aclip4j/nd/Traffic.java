package aclip4j.nd;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes copied between the Java heap and ND4J's buffers (in either direction), counted at every conversion the
 * {@code Nd4j…} twins make ({@link Nd} and the tower graphs). {@code aclip4j bench} reads it around a training step:
 * today's twin rebuilds every weight as a new INDArray per component call, so a step moves several times the model;
 * a resident ND4J engine (issue [3/7]) would move only the step's inputs and its scalar outputs.
 */
public final class Traffic {
    private Traffic() {}

    private static final AtomicLong TO_ND4J = new AtomicLong(), FROM_ND4J = new AtomicLong();

    /** Counts a copy of {@code bytes} from the heap into ND4J. */
    public static void in(long bytes) {
        TO_ND4J.addAndGet(bytes);
    }

    /** Counts a copy of {@code bytes} from ND4J onto the heap. */
    public static void out(long bytes) {
        FROM_ND4J.addAndGet(bytes);
    }

    /** Bytes copied into ND4J so far. */
    public static long toNd4j() {
        return TO_ND4J.get();
    }

    /** Bytes copied out of ND4J so far. */
    public static long fromNd4j() {
        return FROM_ND4J.get();
    }

    /** Both directions. */
    public static long total() {
        return TO_ND4J.get() + FROM_ND4J.get();
    }
}
