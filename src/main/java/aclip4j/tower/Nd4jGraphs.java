package aclip4j.tower;

import aclip4j.tensor.DType;
import aclip4j.tensor.Tensor;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SameDiff building blocks shared by the ND4J towers (SPEC §1, §2): Linear, LayerNorm written from mean and
 * variance, exact-erf GELU, QuickGELU, multi-head self-attention, and the conversions between golden
 * {@link Tensor}s and INDArrays.
 *
 * <p>Every matmul is {@code sd.mmul} with transpose flags (libnd4j's {@code matmul} op, which calls gemm) so a
 * PyTorch {@code [out,in]} weight is used as stored, never copied transposed. Public for the resident training
 * engine ({@code aclip4j.train.nd4j}), which builds its step graphs from the same pieces.
 */
public final class Nd4jGraphs {
    /** SameDiff's createGradFunction prints one line per op to System.out; it is swapped out under this lock. */
    private static final Object STDOUT_LOCK = new Object();

    private Nd4jGraphs() {}

    /**
     * One built SameDiff graph with its weight variables. Used by one thread at a time (callers lock it):
     * weights are bound by replacing the variables' arrays before each execution.
     */
    static final class Graph {
        final SameDiff sd;
        final String[] weightNames;
        private boolean hasGradients;

        Graph(SameDiff sd, String[] weightNames) {
            this.sd = sd;
            this.weightNames = weightNames;
        }

        /** Creates the gradient graph on first use; call under the graph's lock. */
        void ensureGradients() {
            if (!hasGradients) {
                createGradFunctionQuietly(sd);
                hasGradients = true;
            }
        }

        /** Points every weight variable at its array; call under the graph's lock. */
        void bind(Map<String, INDArray> w) {
            for (String n : weightNames) {
                sd.getVariable(n).setArray(w.get(n));
            }
        }
    }

    /** A small thread-safe LRU map for built graphs: building one costs far more than running it. */
    static <K> Map<K, Graph> lruCache(int size) {
        return Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, Graph> eldest) {
                return size() > size;
            }
        });
    }

    /** y [M,out] = x [M,in] @ w^T + b, with w [out,in] as PyTorch stores it; b may be null. */
    public static SDVariable linear(SameDiff sd, SDVariable x, SDVariable w, SDVariable b) {
        SDVariable y = sd.mmul(x, w, false, true, false);
        return b == null ? y : sd.nn().biasAdd(y, b, false);
    }

    /**
     * LayerNorm over the last axis of {@code x} seen as {@code [M,D]} rows, eps inside the square root, returning
     * {@code [M,D]}. Written from mean and variance rather than libnd4j's {@code layer_norm}, whose standardisation
     * takes no eps, so the towers' two eps values (1e-6 vision §1.4, 1e-5 text §2) hold exactly.
     *
     * <p>Every broadcast is a matrix product with a column or row of ones (row means {@code x · (1/D)}, spreading a
     * per-row value {@code v · 1ᵀ}, spreading gamma {@code 1 · γᵀ}), so each product of the normalisation multiplies
     * arrays of one shape. libnd4j's {@code multiply_bp} with a broadcast operand tiles it element by element
     * ({@code NDArray::tile}) before reducing, and was the step's costliest op; a product with ones has a plain
     * matmul as its backward. Same arithmetic up to the order of the row sums (BENCHMARKS.md "ND4J resident engine").
     */
    static SDVariable layerNorm(SameDiff sd, SDVariable x, SDVariable gamma, SDVariable beta, double eps, int M, int D) {
        DataType t = x.dataType();
        SDVariable rows = x.reshape(M, D);
        SDVariable avg = sd.constant(Nd4j.valueArrayOf(new long[] {D, 1}, 1.0 / D, t));
        SDVariable onesRow = sd.constant(Nd4j.ones(t, 1, D));
        SDVariable onesCol = sd.constant(Nd4j.ones(t, M, 1));
        SDVariable mean = sd.mmul(rows, avg);                                            // [M,1]
        SDVariable centred = rows.sub(sd.mmul(mean, onesRow));
        // centred·centred rather than square(): libnd4j differentiates square through a pow derivative (libm powf
        // per element), a product through two products
        SDVariable variance = sd.mmul(centred.mul(centred), avg);                        // biased, as torch
        SDVariable normed = centred.mul(sd.mmul(variance.add(eps).pow(-0.5), onesRow));
        return sd.nn().biasAdd(normed.mul(sd.mmul(onesCol, gamma.reshape(1, D))), beta, false);
    }

    /**
     * Exact GELU {@code 0.5 x (1 + erf(x / sqrt 2))} (timm's nn.GELU, §1.4). SameDiff's {@code gelu} and
     * {@code preciseGelu} are the sigmoid and tanh approximations, which differ from erf by up to ~1e-3.
     */
    static SDVariable geluErf(SameDiff sd, SDVariable x) {
        SDVariable cdf = sd.math().erf(x.mul(1.0 / Math.sqrt(2.0))).add(1.0).mul(0.5);
        return x.mul(cdf);
    }

    /** QuickGELU {@code x * sigmoid(1.702 x)} (OpenAI CLIP's text tower, §2). */
    static SDVariable quickGelu(SameDiff sd, SDVariable x) {
        return x.mul(sd.nn().sigmoid(x.mul(1.702)));
    }

    /**
     * The rest of a pre-norm block after its attention heads, on {@code M} rows: {@code y = x + proj(mixed)}, then
     * {@code y + fc2(act(fc1(LN2(y))))}, {@code [M,D]}; {@code mixed} are the rows' concatenated heads
     * ({@link #heads}), {@code x} the block's input at the same rows. Every op acts per row, so a tower's last block
     * calls it on the rows its features read only (SPEC §1.5, §2). {@code act}: the vision tower's exact GELU (§1.4)
     * or the text tower's QuickGELU (§2).
     */
    static SDVariable afterAttention(SameDiff sd, java.util.function.Function<String, SDVariable> w,
                                     Weights.BlockNames n, double eps,
                                     java.util.function.BiFunction<SameDiff, SDVariable, SDVariable> act,
                                     SDVariable mixed, SDVariable x, int M, int D) {
        SDVariable y = x.add(linear(sd, mixed, w.apply(n.projW()), w.apply(n.projB())));
        SDVariable m = layerNorm(sd, y, w.apply(n.ln2w()), w.apply(n.ln2b()), eps, M, D);
        m = act.apply(sd, linear(sd, m, w.apply(n.fcW()), w.apply(n.fcB())));
        return y.add(linear(sd, m, w.apply(n.fc2W()), w.apply(n.fc2B())));
    }

    /** The output of one attention layer and its probabilities. */
    record Attention(SDVariable out, SDVariable probs) {}

    /** The heads of one attention layer, concatenated {@code mixed [B*T,D]} before the out-projection, and probs. */
    record Heads(SDVariable mixed, SDVariable probs) {}

    /**
     * Multi-head self-attention as timm's {@code Attention} and torch's {@code nn.MultiheadAttention} compute it
     * with a packed in-projection: qkv [B*T,3D] = x @ qkvW^T + qkvB, split as (3, H, hs), softmax over all
     * keys of {@code q k^T / sqrt(hs)} (+ mask), heads concatenated, then the out-projection.
     *
     * @param x    [B,T,D] (already normalised)
     * @param mask additive [T,T] mask or null
     * @return out [B,T,D] and probs [B,H,T,T]
     */
    static Attention attention(SameDiff sd, SDVariable x, int B, int T, int D, int H,
                               SDVariable qkvW, SDVariable qkvB, SDVariable projW, SDVariable projB, SDVariable mask) {
        Heads heads = heads(sd, x, B, T, D, H, qkvW, qkvB, mask);
        SDVariable out = linear(sd, heads.mixed(), projW, projB).reshape(B, T, D);
        return new Attention(out, heads.probs());
    }

    /**
     * {@link #attention} up to the concatenated heads, without the out-projection, which {@link #afterAttention}
     * applies (in a tower's last block to the rows its features read only).
     *
     * @return mixed [B*T,D] (token t of image b at row b*T + t) and probs [B,H,T,T]
     */
    static Heads heads(SameDiff sd, SDVariable x, int B, int T, int D, int H,
                       SDVariable qkvW, SDVariable qkvB, SDVariable mask) {
        int hs = D / H;
        SDVariable qkv = linear(sd, x.reshape(B * T, D), qkvW, qkvB);              // [B*T,3D]
        SDVariable heads = qkv.reshape(B, T, 3, H, hs).permute(2, 0, 3, 1, 4);     // [3,B,H,T,hs]
        SDVariable[] qkvSplit = sd.unstack(heads, 0, 3);                           // 3 x [B,H,T,hs]
        SDVariable logits = sd.mmul(qkvSplit[0], qkvSplit[1], false, true, false)  // [B,H,T,T]
                .mul(1.0 / Math.sqrt(hs));
        if (mask != null) {
            logits = logits.add(mask);
        }
        SDVariable probs = sd.nn().softmax(logits, 3);
        SDVariable mixed = sd.mmul(probs, qkvSplit[2]);                            // [B,H,T,hs]
        return new Heads(mixed.permute(0, 2, 1, 3).reshape(B * T, D), probs);     // heads concatenated
    }

    /**
     * One-hot rows {@code out[..., j] = (j == index[...])}, shape index.shape + [depth], by a broadcast
     * equality against {@code 0..depth-1}. The towers select tokens by a matmul with such a matrix instead of
     * {@code gather}, because SameDiff 1.0.0-M2.1's gather backward fails ("assign … Output array did not match
     * expected shape"). Selecting by matmul is exact (one product by 1, the rest by 0) and its backward is a
     * plain matmul. (libnd4j's {@code onehot} op is not used: run on INDArrays it corrupts the native heap,
     * "free(): invalid pointer", in 1.0.0-M2.1.)
     */
    static INDArray oneHot(INDArray index, int depth, DataType dtype) {
        long[] shape = index.shape();
        int r = shape.length;
        long[] column = Arrays.copyOf(shape, r + 1);
        column[r] = 1;
        long[] full = column.clone();
        full[r] = depth;
        long[] row = new long[r + 1];
        Arrays.fill(row, 1);
        row[r] = depth;
        INDArray idx = index.castTo(DataType.INT).reshape(column).broadcast(full);
        INDArray cols = Nd4j.arange(0, depth).castTo(DataType.INT).reshape(row).broadcast(full);
        return idx.eq(cols).castTo(dtype);
    }

    /** Row 0 of [B,T,D] as [B,D]. */
    static SDVariable firstToken(SDVariable x, int B, int D) {
        return x.get(SDIndex.all(), SDIndex.interval(0, 1), SDIndex.all()).reshape(B, D);
    }

    /**
     * Builds the gradient graph once (on the first backward, so forward-only graphs such as the EMA tower's
     * never pay for it) while System.out is muted: SameDiff 1.0.0-M2.1 prints
     * "Added differentiated op …" with System.out.println for every op, with no logger to turn off.
     */
    public static void createGradFunctionQuietly(SameDiff sd) {
        synchronized (STDOUT_LOCK) {
            PrintStream out = System.out;
            System.setOut(new PrintStream(OutputStream.nullOutputStream()));
            try {
                sd.createGradFunction();
            } finally {
                System.setOut(out);
            }
        }
    }

    /** A weight as an INDArray of {@code dtype} after checking its shape. */
    static INDArray weight(Map<String, Tensor> weights, String name, DataType dtype, int... shape) {
        Tensor t = weights.get(name);
        if (t == null) {
            throw new IllegalArgumentException("missing weight " + name + " " + Arrays.toString(shape));
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException("weight " + name + " has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(shape));
        }
        long[] s = Arrays.stream(shape).asLongStream().toArray();
        if (t.dtype() == DType.F32) {
            aclip4j.nd.Traffic.in(4L * t.floats().length);
            INDArray a = Nd4j.create(t.floats().clone(), s, 'c');
            return dtype == DataType.FLOAT ? a : a.castTo(dtype);
        }
        if (t.dtype() == DType.F64) {
            aclip4j.nd.Traffic.in(8L * t.doubles().length);
            INDArray a = Nd4j.create(t.doubles().clone(), s, 'c');
            return dtype == DataType.DOUBLE ? a : a.castTo(dtype);
        }
        throw new IllegalArgumentException("weight " + name + " has dtype " + t.dtype() + ", expected F32 or F64");
    }

    /** A float[] input as an INDArray of {@code dtype} with the given shape. */
    static INDArray input(float[] data, DataType dtype, long... shape) {
        aclip4j.nd.Traffic.in(4L * data.length);
        INDArray a = Nd4j.create(data.clone(), shape, 'c');
        return dtype == DataType.FLOAT ? a : a.castTo(dtype);
    }

    /** Gradients as golden tensors in {@code shapes} order (see {@link #tensor}). */
    static Map<String, Tensor> tensors(Map<String, INDArray> grads, Map<String, int[]> shapes) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            INDArray g = grads.get(e.getKey());
            if (g == null) {
                throw new IllegalStateException("SameDiff returned no gradient for " + e.getKey());
            }
            out.put(e.getKey(), tensor(g, e.getValue()));
        }
        return out;
    }

    /** An array as a golden tensor of the given shape: F64 from a DOUBLE array, F32 otherwise. */
    static Tensor tensor(INDArray a, int[] shape) {
        INDArray c = a.reshape('c', Arrays.stream(shape).asLongStream().toArray()).dup('c');
        aclip4j.nd.Traffic.out(c.length() * (c.dataType() == DataType.DOUBLE ? 8L : 4L));
        return c.dataType() == DataType.DOUBLE
                ? Tensor.f64(c.data().asDouble(), shape)
                : Tensor.f32(c.castTo(DataType.FLOAT).data().asFloat(), shape);
    }

    /** The elements of {@code a} in C order as float32. */
    static float[] floats(INDArray a) {
        float[] out = a.castTo(DataType.FLOAT).dup('c').data().asFloat();
        aclip4j.nd.Traffic.out(4L * out.length);
        return out;
    }
}
