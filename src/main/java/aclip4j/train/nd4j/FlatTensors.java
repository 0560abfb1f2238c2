package aclip4j.train.nd4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Named float32 tensors laid out one after another in a single flat ND4J buffer, each tensor a C-order view into it.
 * The resident engine keeps its weights, EMA weights, gradients and AdamW moments this way, so an update that
 * treats every element alike — the EMA update, AdamW over tensors with the same weight decay and step count, the
 * non-finite count of the §8 guard — is a handful of ops over a slice of the buffer instead of a handful per tensor
 * (77 tensors at {@code tiny}: about 900 op calls a step before). Elementwise ops give each element the same bits
 * whether they run per tensor or over a slice.
 */
final class FlatTensors {
    private final INDArray flat;
    private final Map<String, INDArray> views = new LinkedHashMap<>();
    private final Map<String, long[]> spans = new LinkedHashMap<>();

    /** Zero-filled tensors in {@code order}, shaped by {@code shapeOf}; created outside any workspace. */
    FlatTensors(List<String> order, Function<String, int[]> shapeOf) {
        long n = 0;
        for (String name : order) {
            n += length(shapeOf.apply(name));
        }
        try (var ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            flat = Nd4j.zeros(DataType.FLOAT, Math.max(n, 1));
        }
        long offset = 0;
        for (String name : order) {
            int[] shape = shapeOf.apply(name);
            long[] s = new long[shape.length];
            for (int i = 0; i < s.length; i++) {
                s[i] = shape[i];
            }
            long len = length(shape);
            views.put(name, Nd4j.create(flat.data(), s, Nd4j.getStrides(s, 'c'), offset, 'c', DataType.FLOAT));
            spans.put(name, new long[] {offset, len});
            offset += len;
        }
    }

    private static long length(int[] shape) {
        long len = 1;
        for (int d : shape) {
            len *= d;
        }
        return len;
    }

    /** Every tensor by name, in layout order: views that read and write the flat buffer. */
    Map<String, INDArray> views() {
        return Collections.unmodifiableMap(views);
    }

    INDArray view(String name) {
        INDArray v = views.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no resident tensor '" + name + "'");
        }
        return v;
    }

    /** The names in layout order. */
    List<String> names() {
        return new ArrayList<>(views.keySet());
    }

    long offset(String name) {
        return spans.get(name)[0];
    }

    long length(String name) {
        return spans.get(name)[1];
    }

    /** Elements {@code [from, to)} of the buffer as a rank-1 view. */
    INDArray slice(long from, long to) {
        return flat.get(NDArrayIndex.interval(from, to));
    }

    /** The whole buffer (a rank-1 array; one element when there are no tensors). */
    INDArray all() {
        return flat;
    }
}
