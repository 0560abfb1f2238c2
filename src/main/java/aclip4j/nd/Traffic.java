package aclip4j.nd;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes copied between the Java heap and ND4J's buffers (in either direction), counted at every conversion the
 * {@code Nd4j…} twins make ({@link Nd} and the tower graphs) and at every copy of the resident training engine
 * ({@code aclip4j.train.nd4j.Nd4jStepEngine}). {@code aclip4j bench} reads it around a training step: the component
 * twins rebuild every weight as a new INDArray per call, so a step through them moves several times the model; the
 * resident engine ([3/7]) moves only the step's inputs, the EMA score map and scalars.
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
