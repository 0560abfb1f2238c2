package aclip4j.train.nd4j;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.ScalarOp;
import org.nd4j.linalg.api.ops.impl.shape.tensorops.BaseTensorOp;
import org.nd4j.linalg.api.ops.impl.transforms.same.Identity;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One SameDiff execution of a step graph, recorded op by op and replayed without SameDiff: the "one compiled step"
 * of the resident engine. SameDiff 1.0.0-M2.1 spends about 0.1 ms of Java bookkeeping per op and execution
 * (dependency tracking, output-shape functions, output allocation, op-context setup) — at {@code tiny} a third of the
 * training graph's time, for a thousand ops. Every array of a step graph keeps its shape from step to step, so the
 * work SameDiff redoes each time is the same: this class watches one execution ({@link #recorder}), keeps each
 * executed op with an op context already holding its input and output arrays, and {@link #run} then calls libnd4j
 * for each op in the recorded order and nothing else. No array is allocated by a replay.
 *
 * <p>This is sound because in a recorded execution every array is one of: a resident variable (weights, updated in
 * place between steps), a constant, an input array the graph's owner refills in place before each replay, or an op
 * output from the graph's {@link ArrayArena} — which hands out a distinct array to every output of an execution and
 * whose arrays no one else writes once the graph is compiled. The same native ops on the same arrays in the same
 * order give the same bits as SameDiff's own execution; {@code Nd4jStepEngineTest} checks it against SameDiff.
 *
 * <p>Recording refuses ({@link Recorder#compile} returns null, and the graph keeps running under SameDiff) when the
 * execution holds anything whose work is not a plain op call: control flow, tensor arrays, views, external errors,
 * a scalar op whose scalar is another array, or a result that is not an op output.
 */
final class CompiledExecution {
    private final List<DifferentialFunction> ops;
    private final List<OpContext> contexts;
    private final Map<String, INDArray> results;

    private CompiledExecution(List<DifferentialFunction> ops, List<OpContext> contexts, Map<String, INDArray> results) {
        this.ops = ops;
        this.contexts = contexts;
        this.results = results;
    }

    /** The ops one replay executes. */
    int size() {
        return ops.size();
    }

    /**
     * Executes every recorded op once, in order; afterwards {@link #result} holds this execution's values (valid
     * until the next {@code run}).
     */
    void run() {
        var ex = Nd4j.getExecutioner();
        for (int i = 0; i < ops.size(); i++) {
            DifferentialFunction df = ops.get(i);
            if (df instanceof CustomOp c) {
                ex.exec(c, contexts.get(i));
            } else {
                ex.exec((Op) df, contexts.get(i));
            }
        }
    }

    /** Whether the recorded execution returned a value under this name. */
    boolean has(String name) {
        return results.containsKey(name);
    }

    /** The array of a recorded output or gradient, by the name SameDiff returned it under. */
    INDArray result(String name) {
        INDArray a = results.get(name);
        if (a == null) {
            throw new IllegalArgumentException("the compiled execution has no result '" + name + "'");
        }
        return a;
    }

    /** Watches one execution: attach with {@code sd.setListeners(recorder)}, execute, then {@link #compile}. */
    static final class Recorder extends BaseListener {
        private final List<DifferentialFunction> ops = new ArrayList<>();
        private final List<INDArray[]> inputs = new ArrayList<>();
        private final List<INDArray[]> outputs = new ArrayList<>();
        private final List<Object[]> args = new ArrayList<>();
        private final Set<INDArray> produced = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        private String refusal;

        @Override
        public boolean isActive(Operation operation) {
            return true;
        }

        @Override
        public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op, OpContext ctx, INDArray[] outs) {
            DifferentialFunction df = op.getOp();
            String kind = df.getClass().getSimpleName();
            if (df instanceof Identity || kind.equals("GradientBackwardsMarker")) {
                // no op call: an identity passes its input on; the marker's output is the constant 1 it holds
                for (INDArray o : outs) {
                    produced.add(o);
                }
                return;
            }
            if (refusal != null) {
                return;
            }
            if (df instanceof BaseTensorOp || kind.equals("Switch") || kind.equals("Merge") || kind.equals("Enter")
                    || kind.equals("Exit") || kind.equals("NextIteration") || kind.equals("LoopCond")
                    || kind.equals("CreateView") || kind.equals("ExternalErrorsFunction") || kind.equals("Invoke")
                    || kind.equals("Assign") || kind.equals("Assert")
                    || (df instanceof ScalarOp && df.argNames().length == 2)
                    || !(df instanceof CustomOp || df instanceof Op) || ctx == null) {
                refusal = "op " + op.getName() + " (" + kind + ")";
                return;
            }
            ops.add(df);
            inputs.add(ctx.getInputArrays().toArray(new INDArray[0]));
            outputs.add(outs.clone());
            for (INDArray o : outs) {
                produced.add(o);
            }
            args.add(new Object[] {ctx.getIArguments().stream().mapToLong(Long::longValue).toArray(),
                    ctx.getDArguments().toArray(new DataType[0]),
                    ctx.getTArguments().stream().mapToDouble(Double::doubleValue).toArray(),
                    booleans(ctx.getBArguments())});
        }

        /**
         * The replay of the watched execution, whose results (outputs and gradients, as SameDiff returned them) are
         * given here; null when the execution cannot be replayed (see the class comment).
         */
        CompiledExecution compile(Map<String, INDArray> returned) {
            if (refusal != null || ops.isEmpty()) {
                return null;
            }
            for (INDArray a : returned.values()) {
                if (!produced.contains(a)) {
                    return null; // a copy or a variable: its value would not follow the replay
                }
            }
            List<OpContext> contexts = new ArrayList<>();
            for (int i = 0; i < ops.size(); i++) {
                OpContext c = Nd4j.getExecutioner().buildContext();
                Object[] a = args.get(i);
                c.setArgs(inputs.get(i), (long[]) a[0], (DataType[]) a[1], (double[]) a[2], (boolean[]) a[3]);
                c.setOutputArrays(outputs.get(i));
                contexts.add(c);
            }
            return new CompiledExecution(List.copyOf(ops), contexts, new LinkedHashMap<>(returned));
        }

        private static boolean[] booleans(List<Boolean> l) {
            boolean[] out = new boolean[l.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = l.get(i);
            }
            return out;
        }
    }
}
