package aclip4j.peer;

import aclip4j.cli.BenchPeer;
import aclip4j.tensor.Tensor;
import aclip4j.tower.TextConfig;
import aclip4j.tower.VisionConfig;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The CLIP training step of {@code aclip4j bench} in PyTorch 2.7.1 (CPU, float32, eager) through DJL's NDArray ops:
 * the peer the SIMD step is compared with. The same model as {@code SimdVisionTower} and {@code SimdTextTower}
 * (SPEC §1, §2) on the same weights ({@code state_dict} names): patch embedding as a matrix product over patches,
 * CLS + positional embedding, pre-LN blocks (LayerNorm, qkv, softmax attention, projection, GELU MLP; the text
 * tower causal with QuickGELU), the final LayerNorm of the CLS row (vision) or of the EOT row (text) and the
 * projections; then the symmetric contrastive loss on the L2-normalised features with the learned logit scale,
 * autograd backward through everything, and AdamW on every weight. Intra-op threads: the bench's {@code --threads};
 * inter-op: 1.
 *
 * <p>Inputs are one fixed random batch (pixels, captions with an EOT token), made once: data loading and
 * augmentation are not part of what this peer times. The text tower runs the first {@code textPositions}
 * positions, the longest caption's up to its end of text, as the SIMD text tower does (padding the batch to its
 * longest caption rather than to the full context, which a causal tower allows): {@code aclip4j bench} passes the
 * positions its SIMD CLIP run's batches had, so both run the same step; the full context without one.
 *
 * <p>Nothing downloads at run time: DJL is told it is offline and unpacks the native library from the
 * {@code pytorch-native-cpu} jar on the class path into {@code DJL_CACHE_DIR}, by default {@code djl-cache} next
 * to the aclip4j jar (or class folder), that is inside {@code target/}.
 */
public final class PytorchClipStep implements BenchPeer {
    private static final float LR = 5e-4f, BETA1 = 0.9f, BETA2 = 0.98f, ADAM_EPS = 1e-6f, WEIGHT_DECAY = 0.2f;
    private static final float VISION_EPS = 1e-6f, TEXT_EPS = 1e-5f;

    private final VisionConfig vc;
    private final TextConfig tc;
    private final int B;
    private final Engine engine;
    private final NDManager base;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private final Map<String, NDArray[]> moments = new LinkedHashMap<>();
    private final NDArray images, tokens, eotRows, causalMask, eye;
    private final int ctx;
    private int t;

    /** The peer with its text tower over the full context. */
    public PytorchClipStep(VisionConfig vc, TextConfig tc, Map<String, Tensor> vision, Map<String, Tensor> text,
                           int batch, int threads) {
        this(vc, tc, vision, text, batch, threads, tc.context());
    }

    /** The peer with its text tower over {@code textPositions} positions, the longest caption's (see above). */
    public PytorchClipStep(VisionConfig vc, TextConfig tc, Map<String, Tensor> vision, Map<String, Tensor> text,
                           int batch, int threads, int textPositions) {
        if (batch < 1 || threads < 1) {
            throw new IllegalArgumentException("pytorch peer: batch " + batch + " and threads " + threads
                    + " must be at least 1");
        }
        if (textPositions < 1 || textPositions > tc.context()) {
            throw new IllegalArgumentException("pytorch peer: text positions " + textPositions + " outside [1, "
                    + tc.context() + "]");
        }
        this.vc = vc;
        this.tc = tc;
        this.B = batch;
        this.engine = engine(threads);
        this.base = engine.newBaseManager();
        for (var e : vision.entrySet()) {
            params.put("visual." + e.getKey(), create(e.getValue()));
        }
        for (var e : text.entrySet()) {
            params.put(e.getKey(), create(e.getValue()));
        }
        params.put("logit_scale", base.create(new float[] {(float) Math.log(1 / 0.07)}, new Shape(1)));
        for (var e : params.entrySet()) {
            e.getValue().setRequiresGradient(true);
            moments.put(e.getKey(), new NDArray[] {base.zeros(e.getValue().getShape()), base.zeros(e.getValue().getShape())});
        }
        SplittableRandom rnd = new SplittableRandom(7);
        int S = vc.imageSize(), ctx = textPositions;
        this.ctx = ctx;
        float[] px = new float[B * 3 * S * S];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        long[] tok = new long[B * ctx];
        long[] eot = new long[B];
        for (int b = 0; b < B; b++) {
            // EOT (the largest id) at len - 1, padding 0 after it; the first caption the longest, ctx positions
            int len = b == 0 ? ctx : 1 + rnd.nextInt(ctx);
            for (int i = 0; i < len; i++) {
                tok[b * ctx + i] = i == len - 1 ? tc.vocab() - 1 : 1 + rnd.nextInt(tc.vocab() - 2);
            }
            eot[b] = (long) b * ctx + len - 1;
        }
        images = base.create(px, new Shape(B, 3, S, S));
        tokens = base.create(tok, new Shape(B, ctx));
        eotRows = base.create(eot, new Shape(B));
        float[] mask = new float[ctx * ctx];
        for (int q = 0; q < ctx; q++) {
            for (int k = q + 1; k < ctx; k++) {
                mask[q * ctx + k] = Float.NEGATIVE_INFINITY;
            }
        }
        causalMask = base.create(mask, new Shape(ctx, ctx));
        eye = base.eye(B);
    }

    /** The PyTorch engine, offline, unpacking into the build directory, on {@code threads} intra-op threads. */
    private static Engine engine(int threads) {
        System.setProperty("ai.djl.offline", "true");
        if (System.getProperty("DJL_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null) {
            System.setProperty("DJL_CACHE_DIR", buildDirectory().resolve("djl-cache").toString());
        }
        if (System.getProperty("ENGINE_CACHE_DIR") == null && System.getenv("ENGINE_CACHE_DIR") == null) {
            System.setProperty("ENGINE_CACHE_DIR", System.getProperty("DJL_CACHE_DIR",
                    System.getenv("DJL_CACHE_DIR")));
        }
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Engine e;
        try {
            e = Engine.getEngine("PyTorch");
        } catch (RuntimeException ex) {
            throw new IllegalStateException("pytorch peer: DJL could not load PyTorch offline from the class path ("
                    + ex.getMessage() + ")", ex);
        }
        JniUtils.setNumThreads(threads); // a second peer in one JVM: the engine exists already
        return e;
    }

    /** The folder holding the aclip4j jar or class folder: {@code target/} in a Maven build. */
    private static Path buildDirectory() {
        try {
            Path here = Path.of(PytorchClipStep.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path dir = here.getParent();
            return dir != null && Files.isDirectory(dir) ? dir : Path.of("target");
        } catch (URISyntaxException | SecurityException e) {
            return Path.of("target");
        }
    }

    private NDArray create(Tensor w) {
        long[] shape = new long[w.shape().length];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = w.shape()[i];
        }
        return base.create(w.floats(), new Shape(shape));
    }

    @Override
    public String describe() {
        return "PyTorch " + engine.getVersion() + " (DJL " + Engine.getDjlVersion() + ", CPU, float32, "
                + JniUtils.getNumThreads() + " intra-op threads), text tower over " + ctx + " of " + tc.context()
                + " positions";
    }

    @Override
    public void step() {
        try (NDManager sub = base.newSubManager()) {
            attachAll(sub);
            try (GradientCollector gc = engine.newGradientCollector()) {
                NDArray img = normalise(visionFeatures(images));
                NDArray txt = normalise(textFeatures(tokens));
                NDArray logits = img.matMul(txt.transpose()).mul(p("logit_scale").exp());
                NDArray rows = logits.logSoftmax(1).mul(eye).sum().neg();
                NDArray cols = logits.logSoftmax(0).mul(eye).sum().neg();
                NDArray loss = rows.add(cols).div(2f * B);
                gc.backward(loss);
            }
            adamw();
        }
    }

    /**
     * Vision features (B,E) of {@code pixels} (B,3,S,S) and, for the test, the gradient of sum(features * probe)
     * with respect to every weight, by the vision tower's own names.
     */
    public Map<String, float[]> visionForwardBackward(float[] pixels, float[] probe) {
        int S = vc.imageSize();
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager sub = base.newSubManager()) {
            attachAll(sub);
            NDArray x = sub.create(pixels, new Shape(B, 3, S, S));
            NDArray dir = sub.create(probe, new Shape(B, vc.embed()));
            for (NDArray w : params.values()) {
                if (w.hasGradient()) {
                    w.getGradient().subi(w.getGradient());
                }
            }
            try (GradientCollector gc = engine.newGradientCollector()) {
                NDArray f = visionFeatures(x);
                out.put("features", f.toFloatArray());
                gc.backward(f.mul(dir).sum());
            }
            for (var e : params.entrySet()) {
                if (e.getKey().startsWith("visual.")) {
                    out.put(e.getKey().substring("visual.".length()), e.getValue().getGradient().toFloatArray());
                }
            }
        }
        return out;
    }

    /** Every array this instance owns joins {@code sub} until it closes, so each step's temporaries go with it. */
    private void attachAll(NDManager sub) {
        for (NDArray w : params.values()) {
            w.tempAttach(sub);
        }
        for (NDArray[] m : moments.values()) {
            m[0].tempAttach(sub);
            m[1].tempAttach(sub);
        }
        for (NDArray a : List.of(images, tokens, eotRows, causalMask, eye)) {
            a.tempAttach(sub);
        }
    }

    private NDArray p(String name) {
        NDArray a = params.get(name);
        if (a == null) {
            throw new IllegalArgumentException("pytorch peer: no weight '" + name + "'");
        }
        return a;
    }

    private static NDArray normalise(NDArray x) {
        return x.div(x.square().sum(new int[] {1}, true).sqrt());
    }

    private static NDArray linear(NDArray x, NDArray w, NDArray b) {
        NDArray y = x.matMul(w.transpose());
        return b == null ? y : y.add(b);
    }

    private static NDArray layerNorm(NDArray x, NDArray w, NDArray b, float eps) {
        return LayerNorm.layerNorm(x, new Shape(w.getShape().get(0)), w, b, eps).singletonOrThrow();
    }

    /** SPEC §1: (B,3,S,S) pixels to (B,E) image features. */
    private NDArray visionFeatures(NDArray px) {
        int G = vc.grid(), p = vc.patch(), N = vc.tokens(), D = vc.width(), P = 3 * p * p;
        // patches in the order of patch_embed.proj.weight [D,3,p,p]: channel, pixel row, pixel column
        NDArray patches = px.reshape(B, 3, G, p, G, p).transpose(0, 2, 4, 1, 3, 5).reshape(B, N, P);
        NDArray pe = linear(patches, p("visual.patch_embed.proj.weight").reshape(D, P), p("visual.patch_embed.proj.bias"));
        NDArray cls = p("visual.cls_token").broadcast(B, 1, D);
        NDArray x = cls.concat(pe, 1).add(p("visual.pos_embed"));
        for (int l = 0; l < vc.depth(); l++) {
            String n = "visual.blocks." + l + ".";
            x = block(x, vc.heads(), null, false, VISION_EPS,
                    p(n + "norm1.weight"), p(n + "norm1.bias"), p(n + "attn.qkv.weight"), p(n + "attn.qkv.bias"),
                    p(n + "attn.proj.weight"), p(n + "attn.proj.bias"), p(n + "norm2.weight"), p(n + "norm2.bias"),
                    p(n + "mlp.fc1.weight"), p(n + "mlp.fc1.bias"), p(n + "mlp.fc2.weight"), p(n + "mlp.fc2.bias"));
        }
        NDArray clsOut = x.get(":, 0, :");
        return layerNorm(clsOut, p("visual.norm.weight"), p("visual.norm.bias"), VISION_EPS)
                .matMul(p("visual.image_projection"));
    }

    /** SPEC §2: (B,ctx) token ids to (B,E) text features, pooled at each caption's EOT. */
    private NDArray textFeatures(NDArray tok) {
        int W = tc.width();
        NDArray pos = ctx == tc.context() ? p("positional_embedding") : p("positional_embedding").get("0:" + ctx);
        NDArray x = Embedding.embedding(tok, p("token_embedding.weight"), SparseFormat.DENSE).singletonOrThrow()
                .add(pos);
        for (int l = 0; l < tc.depth(); l++) {
            String n = "transformer.resblocks." + l + ".";
            x = block(x, tc.heads(), causalMask, true, TEXT_EPS,
                    p(n + "ln_1.weight"), p(n + "ln_1.bias"), p(n + "attn.in_proj_weight"), p(n + "attn.in_proj_bias"),
                    p(n + "attn.out_proj.weight"), p(n + "attn.out_proj.bias"), p(n + "ln_2.weight"), p(n + "ln_2.bias"),
                    p(n + "mlp.c_fc.weight"), p(n + "mlp.c_fc.bias"), p(n + "mlp.c_proj.weight"), p(n + "mlp.c_proj.bias"));
        }
        NDArray pooled = x.reshape((long) B * ctx, W).get(eotRows);
        return layerNorm(pooled, p("ln_final.weight"), p("ln_final.bias"), TEXT_EPS).matMul(p("text_projection"));
    }

    /** One pre-LN block on x (B,T,D): x + attn(LN1 x), then + MLP(LN2 x); mask (T,T) added to the logits. */
    private static NDArray block(NDArray x, int H, NDArray mask, boolean quickGelu, float eps,
                                 NDArray ln1w, NDArray ln1b, NDArray qkvW, NDArray qkvB, NDArray projW, NDArray projB,
                                 NDArray ln2w, NDArray ln2b, NDArray fcW, NDArray fcB, NDArray fc2W, NDArray fc2B) {
        Shape s = x.getShape();
        long Bn = s.get(0), T = s.get(1), D = s.get(2), hs = D / H;
        NDArray qkv = linear(layerNorm(x, ln1w, ln1b, eps), qkvW, qkvB)
                .reshape(Bn, T, 3, H, hs).transpose(2, 0, 3, 1, 4); // (3,B,H,T,hs)
        NDArray q = qkv.get(0), k = qkv.get(1), v = qkv.get(2);
        NDArray logits = q.matMul(k.transpose(0, 1, 3, 2)).mul((float) (1.0 / Math.sqrt(hs)));
        if (mask != null) {
            logits = logits.add(mask);
        }
        NDArray y = logits.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(Bn, T, D);
        x = x.add(linear(y, projW, projB));
        NDArray h = linear(layerNorm(x, ln2w, ln2b, eps), fcW, fcB);
        h = quickGelu ? h.mul(Activation.sigmoid(h.mul(1.702f))) : Activation.gelu(h);
        return x.add(linear(h, fc2W, fc2B));
    }

    /** AdamW (decoupled weight decay) on every weight, in place, outside autograd; then the gradients back to 0. */
    private void adamw() {
        t++;
        float c1 = (float) (1 - Math.pow(BETA1, t)), c2 = (float) (1 - Math.pow(BETA2, t));
        for (var e : params.entrySet()) {
            NDArray w = e.getValue();
            NDArray g = w.getGradient();
            NDArray[] m = moments.get(e.getKey());
            m[0].muli(BETA1).addi(g.mul(1 - BETA1));
            m[1].muli(BETA2).addi(g.square().muli(1 - BETA2));
            NDArray update = m[0].div(c1).divi(m[1].div(c2).sqrt().addi(ADAM_EPS));
            w.muli(1 - LR * WEIGHT_DECAY).subi(update.muli(LR));
            g.subi(g);
        }
    }

    /** The weights as they stand, by their state_dict names (text and the logit scale unprefixed), for the test. */
    public Map<String, float[]> weights() {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    @Override
    public void close() {
        base.close();
    }
}
