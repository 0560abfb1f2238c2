package aclip4j.train.nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.SessionMemMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.BaseNDArray;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The op outputs of one step graph, kept from execution to execution: SameDiff asks its session's memory manager
 * for every op's output array, and this one hands out, per (type, shape, order), the arrays of the previous
 * execution in the same order, creating one only when an execution needs more of a shape than any before it. After
 * the first execution of a graph an execution allocates no native memory at all ({@link #created()} stops growing;
 * {@code Nd4jStepEngineTest} checks it).
 *
 * <p>Why: SameDiff 1.0.0-M2.1's own manager never gets the arrays of a gradient execution back
 * ({@code calculateGradientsAndOutputs} turns its cache off), so every op output was a fresh native allocation
 * (malloc, first-touch page faults, JavaCPP bookkeeping) left to the garbage collector — about 350 MB per tiny step,
 * and one forced collection per step to keep the process flat (BENCHMARKS.md "ND4J resident engine").
 *
 * <p>The contract this relies on: whatever an execution returns (losses, gradients, batch statistics, the EMA graph's
 * score map and BYOL target) is used or copied before the same graph executes again. {@link StepGraphs} and
 * {@link Nd4jStepEngine} keep it: a step reads its losses at once, scales or adds its gradients into arrays of its
 * own when it accumulates micro-batches, and applies every update before the next micro-batch. Releases are ignored:
 * an array is reused only by the next execution, after {@link #reset}.
 */
final class ArrayArena implements SessionMemMgr {
    private record Key(DataType type, List<Long> shape, char order) {}

    private static final class Pool {
        final List<INDArray> arrays = new ArrayList<>();
        int used;
    }

    private final Map<Key, Pool> pools = new HashMap<>();
    private long created;

    /**
     * Makes {@code sd}'s session on the calling thread allocate from this arena (creating the session if the graph
     * has not run on this thread yet). Call before each execution: SameDiff keeps one session per thread.
     */
    void install(SameDiff sd) {
        Map<Long, InferenceSession> sessions = sd.getSessions();
        InferenceSession s = sessions.computeIfAbsent(Thread.currentThread().getId(), t -> new InferenceSession(sd));
        if (s.getMmgr() != this) {
            s.setMmgr(this);
        }
    }

    /** Every array handed out so far may be handed out again: the previous execution's outputs are dead. */
    void reset() {
        for (Pool p : pools.values()) {
            p.used = 0;
        }
    }

    /** How many arrays this arena has created in all (constant once a graph's executions repeat). */
    long created() {
        return created;
    }

    private INDArray take(DataType type, long[] shape, char order) {
        Key key = new Key(type, Arrays.stream(shape).boxed().toList(), order);
        Pool p = pools.computeIfAbsent(key, k -> new Pool());
        if (p.used < p.arrays.size()) {
            INDArray a = p.arrays.get(p.used++);
            ((BaseNDArray) a).assignNewId(); // the session tracks arrays by id: a reused array is a new value
            return a;
        }
        INDArray a = Nd4j.createUninitializedDetached(type, order, shape);
        p.arrays.add(a);
        p.used++;
        created++;
        return a;
    }

    @Override
    public INDArray allocate(boolean detached, DataType dataType, long... shape) {
        return take(dataType, shape, Nd4j.order());
    }

    @Override
    public INDArray allocate(boolean detached, LongShapeDescriptor descriptor) {
        if (descriptor.isEmpty()) {
            return Nd4j.create(descriptor);
        }
        return take(descriptor.dataType(), descriptor.getShape(), descriptor.getOrder());
    }

    @Override
    public INDArray ulike(INDArray arr) {
        return take(arr.dataType(), arr.shape(), arr.ordering());
    }

    @Override
    public INDArray dup(INDArray arr) {
        INDArray out = ulike(arr);
        if (!arr.isEmpty()) {
            out.assign(arr);
        }
        return out;
    }

    @Override
    public void release(INDArray array) {
        // kept for the next execution (see the class comment)
    }

    @Override
    public void close() {
        pools.clear();
    }
}
