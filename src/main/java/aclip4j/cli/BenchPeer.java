package aclip4j.cli;

import aclip4j.tensor.Tensor;
import aclip4j.tower.TextConfig;
import aclip4j.tower.VisionConfig;
import java.util.Map;

/**
 * A training step on another framework that {@code aclip4j bench} times beside its own backends: the CLIP step
 * (both towers forward and backward on a fixed batch, the symmetric contrastive loss, AdamW) on the same configs,
 * weights and thread count. Implementations live in source folders that only a build profile compiles (the PyTorch
 * peer: {@code -Ppytorch}, {@code src/pytorch/java}), so the library does not depend on them; {@link #load} finds
 * one by class name.
 */
public interface BenchPeer extends AutoCloseable {
    /** One whole step; returns when its work is done. */
    void step();

    /** The framework and version, for the bench's header line. */
    String describe();

    @Override
    void close();

    /** The backends a peer provides, with the class that implements each and the profile that builds it. */
    Map<String, String[]> PEERS = Map.of("pytorch", new String[] {"aclip4j.peer.PytorchClipStep", "pytorch"});

    /** Whether {@code backend} names a peer rather than one of aclip4j's own backends. */
    static boolean isPeer(String backend) {
        return PEERS.containsKey(backend);
    }

    /** A one-line error unless this build holds the peer {@code backend}. */
    static void require(String backend) {
        implementation(backend);
    }

    private static Class<?> implementation(String backend) {
        String[] peer = PEERS.get(backend);
        if (peer == null) {
            throw new IllegalArgumentException("unknown peer backend '" + backend + "', expected one of " + PEERS.keySet());
        }
        try {
            return Class.forName(peer[0]);
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("the " + backend + " backend is not in this build: rebuild with the '"
                    + peer[1] + "' profile (ACLIP4J_MAVEN_PROFILES=" + peer[1] + " ./aclip4j bench ...)");
        }
    }

    /**
     * The peer {@code backend} for a batch of {@code batch} images and captions on {@code threads} threads, weights
     * {@code vision} and {@code text}, its text tower over the first {@code textPositions} positions (the longest
     * caption's); a one-line error when this build lacks its profile.
     */
    static BenchPeer load(String backend, VisionConfig v, TextConfig t, Map<String, Tensor> vision,
                          Map<String, Tensor> text, int batch, int threads, int textPositions) {
        Class<?> c = implementation(backend);
        try {
            return (BenchPeer) c.getConstructor(VisionConfig.class, TextConfig.class, Map.class, Map.class, int.class,
                    int.class, int.class).newInstance(v, t, vision, text, batch, threads, textPositions);
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(backend + " peer failed to start: " + cause, cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(backend + " peer " + c.getName() + " cannot be constructed: " + e, e);
        }
    }
}
