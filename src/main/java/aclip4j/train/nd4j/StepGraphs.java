package aclip4j.train.nd4j;

import aclip4j.loss.Nd4jByolLoss;
import aclip4j.loss.Nd4jClipLoss;
import aclip4j.loss.Nd4jSimClrLoss;
import aclip4j.loss.Nd4jSimSiamLoss;
import aclip4j.nd.Nd;
import aclip4j.nd.Traffic;
import aclip4j.tensor.Tensor;
import aclip4j.mask.Nd4jAttentionScore;
import aclip4j.tower.Nd4jGraphs;
import aclip4j.tower.Nd4jSslHead;
import aclip4j.tower.Nd4jTextTower;
import aclip4j.tower.Nd4jVisionTower;
import aclip4j.tower.PositionEmbedding;
import aclip4j.tower.SslHead;
import aclip4j.tower.VisionConfig;
import aclip4j.train.AClipStep;
import aclip4j.train.Model;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.nd4j.autodiff.listeners.profiler.ProfilingListener;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.array.SingleThreadArrayHolder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The two SameDiff graphs of a resident ND4J step ({@link Nd4jStepEngine}), each built once per micro-batch size
 * from the twins' building blocks ({@link Nd4jVisionTower#encode}, {@link Nd4jTextTower#encode},
 * {@link Nd4jSslHead#define}, the losses' {@code define}). Their variables are the resident arrays themselves, so
 * an in-place AdamW or EMA update is what the next execution sees; nothing is rebound or copied per step.
 */
final class StepGraphs {
    private StepGraphs() {}

    /** A BatchNorm running buffer (full online name) and the batch statistic that refreshes it, in call order. */
    record BufferUpdate(String buffer, INDArray batch) {}

    /**
     * The EMA side of a step (SPEC §3, §6, §7): the EMA vision tower on the full EMA view, unmasked and without
     * gradient, giving the §3 score map {@code [B,Ge*Ge]} and the CLS rows; the EMA BYOL projector on them (batch
     * statistics over the B rows) gives the BYOL target. At {@code Se != S} (A-CLIP-eff) the positions are resampled
     * inside the graph (§1.7): {@code pos_e = R · pos}, {@code R [Ge², G²]} the §5.1 bilinear rule as a matrix.
     */
    static final class Ema {
        private final SameDiff sd = newGraph();
        private final List<String> outputs = new ArrayList<>();
        private final Execution execution = new Execution();

        record Out(INDArray scores, INDArray target) {}

        Ema(Model m, AClipStep.Settings s, int B, Map<String, INDArray> ema) {
            VisionConfig v = m.vision, ve = v.withImageSize(s.emaImageSize());
            int Se = s.emaImageSize(), T = v.tokens() + 1, D = v.width(), Ne = ve.tokens(), Te = Ne + 1;
            Map<String, SDVariable> vars = new HashMap<>();
            Function<String, SDVariable> w = name -> vars.computeIfAbsent(name, n -> variable(sd, n, ema));
            int P = 3 * v.patch() * v.patch();
            SDVariable patches = sd.placeHolder("ema_patches", DataType.FLOAT, B * Ne, P); // §1.1 rows, cut on the host
            SDVariable pos = w.apply(aclip4j.tower.Weights.POS_EMBED);
            SDVariable posPatch;
            if (Se == v.imageSize()) {
                posPatch = pos.reshape(T, D).get(SDIndex.interval(1, T), SDIndex.all());
            } else { // §1.7
                SDVariable r = sd.constant("pos_resample", Nd.f32(resampleMatrix(v.grid(), ve.grid()), Ne, T - 1));
                posPatch = sd.mmul(r, pos.reshape(T, D).get(SDIndex.interval(1, T), SDIndex.all()));
                SDVariable posCls = pos.reshape(T, D).get(SDIndex.interval(0, 1), SDIndex.all());
                pos = sd.concat(0, posCls, posPatch).reshape(1, Te, D);
            }
            SDVariable tokens = Nd4jVisionTower.embedPatches(sd, v, w, patches)
                    .reshape(B, Ne, D).add(posPatch);
            SDVariable x = sd.concat(1, Nd4jVisionTower.clsRow(sd, w.apply(aclip4j.tower.Weights.CLS_TOKEN), pos, Te, B, D), tokens);
            boolean last = s.scoreLayers() == aclip4j.mask.AttentionScore.Layers.LAST;
            Nd4jVisionTower.Encoded enc = Nd4jVisionTower.encode(sd, ve, w, x, B, Te, s.attentive(), last, "ema.");
            if (s.attentive()) { // §3 inside the graph (mask/Nd4jAttentionScore): only the score map leaves ND4J
                outputs.add(Nd4jAttentionScore.define(sd, enc.clsAttention(), last ? 1 : v.depth(), v.heads(), Te,
                        "ema.scores").name());
            }
            if (s.byol()) {
                SDVariable target = Nd4jSslHead.define(sd, SslHead.Kind.BYOL_PROJECTOR,
                        n -> w.apply(Model.BYOL_PROJ + n), enc.cls(), true, "ema_proj.").out();
                outputs.add(sd.identity("byol_target", target).name());
            }
            if (outputs.isEmpty()) {
                outputs.add(enc.cls().name());
            }
        }

        /** The score map and target live in this graph's arena: use them before the next {@code run}. */
        Out run(INDArray patches) {
            INDArray in = execution.inputs.fill("ema_patches", patches);
            Map<String, INDArray> res = execution.run(sd, sd, outputs,
                    () -> sd.output(Map.of("ema_patches", in), outputs.toArray(new String[0])));
            return new Out(res.get("ema.scores"), res.get("byol_target"));
        }

        Execution execution() {
            return execution;
        }
    }

    /**
     * The §1.7 / §5.1 bilinear resize of a {@code G x G} grid to {@code Ge x Ge} as a matrix {@code [Ge², G²]}:
     * column {@code i} is the resize of the unit image at grid cell {@code i}, by the host rule
     * ({@link PositionEmbedding#resamplePosEmbed}) applied to an identity "position embedding".
     */
    static float[] resampleMatrix(int G, int Ge) {
        int N = G * G, Ne = Ge * Ge;
        float[] unit = new float[(1 + N) * N];
        for (int i = 0; i < N; i++) {
            unit[(1 + i) * N + i] = 1f;
        }
        float[] out = PositionEmbedding.resamplePosEmbed(Tensor.f32(unit, 1, 1 + N, N), Ge).floats();
        return java.util.Arrays.copyOfRange(out, N, (1 + Ne) * N);
    }

    /**
     * The online side of a micro-batch (SPEC §1.3–§1.5, §2, §6): the V views as one batch of V·B images, their
     * kept patches gathered by index inside the graph, embedded, plus their position rows (a variable {@code pos_rows} the
     * engine fills by a gather and whose gradient it scatters back into {@code pos_embed}); CLS first; the vision
     * blocks; the text tower on its token rows (variable {@code token_rows}, likewise); the SSL heads over all
     * V·B rows (or per view with {@code bnPerView}); CLIP, SimCLR or SimSiam over every view pair, and BYOL against
     * the EMA target; {@code loss = clip + w_ssl·ssl + w_byol·byol}; gradients of every trainable tensor.
     */
    static final class Train {
        /**
         * {@code -Daclip4j.nd4j.profile=FILE}: the training graph records every op it executes (name, start,
         * duration) into FILE as a Chrome trace (chrome://tracing, Perfetto); BENCHMARKS.md "ND4J resident engine"
         * reads one. The file must not exist yet. Diagnostics only: it slows the step.
         */
        static final String PROFILE_PROPERTY = "aclip4j.nd4j.profile";

        private final SameDiff sd = newGraph();
        private final Execution execution = new Execution();
        private final int B, K, V, N, ctx;
        private final Map<String, INDArray> online;
        private final List<String> wrt = new ArrayList<>();
        private final List<String> outputs = new ArrayList<>();
        /** What an execution reads back: the outputs and the gradients of {@link #wrt} ({@code GRAD} + name). */
        private final List<String> results = new ArrayList<>();
        /** (buffer, output name, variance factor or 0 for a mean), in the order the official step refreshes them. */
        private final List<Object[]> buffers = new ArrayList<>();
        private final INDArray offsets;
        private final INDArray allTokens;
        private final boolean byol;
        private final aclip4j.tower.HeadsConfig heads;

        record Out(float[] losses, Map<String, INDArray> grads, INDArray posRowGrads, INDArray tokenRowGrads,
                   List<BufferUpdate> batchStats) {}

        /**
         * @param P the leading text positions the graph runs ({@link Nd4jTextTower#positionsRun}); its token ids are
         *          {@code [B,P]}
         */
        Train(Model m, AClipStep.Settings s, int B, int K, int P, Map<String, INDArray> online) {
            this.B = B;
            this.K = K;
            this.V = s.views();
            this.N = m.vision.tokens();
            this.ctx = P;
            this.online = online;
            this.byol = s.byol();
            this.heads = m.heads;
            VisionConfig vc = m.vision;
            int D = vc.width(), E = vc.embed(), T = N + 1;
            Map<String, SDVariable> vars = new LinkedHashMap<>();
            Function<String, SDVariable> w = name -> vars.computeIfAbsent(name, n -> variable(sd, n, online));
            // All V views go through the tower as one batch of V·B images, view-major (every op of §1 acts per
            // image, so this is V passes in one): row i·N + k of the [V·B·N, 3pp] patch matrix is patch k of
            // image i; a kept slot's row is its local index plus i·N.
            int R = V * B;
            offsets = Nd4j.arange(0, R).castTo(DataType.INT).muli(N).reshape(R, 1).repeat(1, K).reshape(R * K);
            allTokens = Nd4j.arange(0, N).castTo(DataType.INT).reshape(1, N).repeat(0, R).reshape(R * N);
            SDVariable offsetConst = sd.constant("keep_offsets", offsets);
            SDVariable patches = sd.placeHolder("patches", DataType.FLOAT, R * N, 3 * vc.patch() * vc.patch());
            SDVariable keep = sd.placeHolder("keep", DataType.INT, R * K);
            SDVariable rows = sd.gather(patches, keep.add(offsetConst), 0);
            SDVariable posRows = sd.var("pos_rows", Nd4j.zeros(DataType.FLOAT, R * K, D));
            wrt.add(posRows.name());
            SDVariable tokens = Nd4jVisionTower.embedPatches(sd, vc, w, rows).add(posRows).reshape(R, K, D);
            SDVariable x = sd.concat(1, Nd4jVisionTower.clsRow(sd, w.apply(aclip4j.tower.Weights.CLS_TOKEN), w.apply(aclip4j.tower.Weights.POS_EMBED), T, R,
                    D), tokens);
            Nd4jVisionTower.Encoded enc = Nd4jVisionTower.encode(sd, vc, w, x, R, K + 1, false, false, "vision.");
            SDVariable cls = enc.cls();                                                                // [V*B,D]
            SDVariable tokenRows = sd.var("token_rows", Nd4j.zeros(DataType.FLOAT, B * ctx, m.text.width()));
            wrt.add(tokenRows.name());
            SDVariable eot = sd.placeHolder("eot_select", DataType.FLOAT, B, 1, ctx);
            SDVariable text = Nd4jTextTower.encode(sd, m.text, w, tokenRows, eot, B, ctx, DataType.FLOAT,
                    "text_features");
            SDVariable clip = Nd4jClipLoss.define(sd, enc.features(), text, w.apply(Model.LOGIT_SCALE), V, B, E, "clip.");

            SDVariable ssl = null;
            if (s.simclr() || s.simsiam()) {
                if (V < 2) {
                    throw new IllegalArgumentException("--ssl " + s.ssl() + " compares two views, the run has " + V);
                }
                int out = m.heads.simclrOut();
                SDVariable zAll = head(SslHead.Kind.SIMCLR, Model.SIMCLR, cls, w, s.bnPerView());
                SDVariable[] z = views(zAll, out);
                SDVariable[] p = s.simsiam() ? views(head(SslHead.Kind.BYOL_PREDICTOR, Model.SIMSIAM_PRED, zAll, w,
                        s.bnPerView()), out) : null;
                double tau = (float) s.temperature(); // as the twins: the float temperature
                List<SDVariable> pairs = new ArrayList<>();
                for (int a = 0; a < V; a++) {
                    for (int b = a + 1; b < V; b++) {
                        String name = "ssl." + a + "." + b;
                        pairs.add(s.simclr()
                                ? Nd4jSimClrLoss.define(sd, z[a], z[b], B, out, tau, s.simclrSameView(), name)
                                : Nd4jSimSiamLoss.define(sd, p[a], p[b], stop(z[a]), stop(z[b]), B, out, name));
                    }
                }
                ssl = pairs.get(0);
                for (int k = 1; k < pairs.size(); k++) {
                    ssl = ssl.add(pairs.get(k));
                }
                ssl = ssl.div((double) pairs.size());
            }
            SDVariable byolLoss = null;
            if (s.byol()) {
                int ob = m.heads.byolOut();
                SDVariable proj = head(SslHead.Kind.BYOL_PROJECTOR, Model.BYOL_PROJ, cls, w, s.bnPerView());
                SDVariable pred = head(SslHead.Kind.BYOL_PREDICTOR, Model.BYOL_PRED, proj, w, s.bnPerView());
                SDVariable target = sd.placeHolder("byol_target", DataType.FLOAT, B, ob);
                byolLoss = Nd4jByolLoss.define(sd, pred, sd.tile(target, V, 1), V, B, ob, "byol.loss");
            }
            SDVariable total = clip;
            if (ssl != null) {
                total = total.add(ssl.mul(s.wSsl()));
            }
            if (byolLoss != null) {
                total = total.add(byolLoss.mul(s.wByol()));
            }
            sd.identity("loss", total);
            sd.identity("ssl_loss", ssl == null ? sd.constant(Nd4j.scalar(0f)) : ssl);
            sd.identity("byol_loss", byolLoss == null ? sd.constant(Nd4j.scalar(0f)) : byolLoss);
            outputs.addAll(List.of("loss", "clip.loss", "ssl_loss", "byol_loss"));
            for (Object[] b : buffers) {
                outputs.add((String) b[1]);
            }
            for (String name : vars.keySet()) {
                if (!(s.freezePatchEmbed() && name.startsWith("patch_embed."))) { // §1.1 frozen: no gradient
                    wrt.add(name);
                }
            }
            for (String g : wrt) {
                results.add(GRAD + g);
            }
            results.addAll(outputs);
            sd.setLossVariables("loss");
            Nd4jGraphs.createGradFunctionQuietly(sd);
            String trace = System.getProperty(PROFILE_PROPERTY);
            if (trace != null && !trace.isBlank()) { // per-op times of every execution, as a Chrome trace
                ProfilingListener listener = ProfilingListener.builder(new java.io.File(trace)).recordAll().build();
                sd.setListeners(listener);
                sd.getFunction("grad").setListeners(listener);
            }
        }

        /** The indices 0..N-1 for every image of every view (an unmasked view keeps every token). */
        INDArray allTokens() {
            return allTokens;
        }

        private SDVariable stop(SDVariable x) {
            return new StopGradient(sd, x).outputVariable();
        }

        /** The V view-major parts {@code [B,width]} of {@code x [V*B,width]}. */
        private SDVariable[] views(SDVariable x, int width) {
            return V == 1 ? new SDVariable[] {x} : sd.unstack(x.reshape(V, B, width), 0, V);
        }

        /**
         * One §6 head over every view's rows {@code [V*B,in]}, view-major, as one call (BatchNorm statistics over
         * V·B rows, the official code) or one call per view; records the running-statistics refreshes in that order.
         */
        private SDVariable head(SslHead.Kind kind, String prefix, SDVariable in, Function<String, SDVariable> w,
                                boolean perView) {
            Function<String, SDVariable> hw = n -> w.apply(prefix + n);
            if (!perView || V == 1) {
                Nd4jSslHead.Defined d = Nd4jSslHead.define(sd, kind, hw, in, true, prefix + "all.");
                record(prefix, d, V * B);
                return d.out();
            }
            SDVariable[] parts = views(in, heads.inputWidth(kind));
            SDVariable[] out = new SDVariable[V];
            for (int v = 0; v < V; v++) {
                Nd4jSslHead.Defined d = Nd4jSslHead.define(sd, kind, hw, parts[v], true, prefix + "v" + v + ".");
                out[v] = d.out();
                record(prefix, d, B);
            }
            return sd.concat(0, out);
        }

        private void record(String prefix, Nd4jSslHead.Defined d, int rows) {
            d.batchStats().forEach((bn, stat) -> {
                buffers.add(new Object[] {prefix + bn + ".running_mean", stat[0].name(), 0.0});
                // PyTorch refreshes the running variance with the unbiased batch variance
                buffers.add(new Object[] {prefix + bn + ".running_var", stat[1].name(), (double) rows / (rows - 1)});
            });
        }

        /**
         * One execution: forward, losses, gradients. {@code keep[v]} holds view v's kept patch indices {@code [B*K]}
         * (ascending per image), {@code ids [B,P]} the token ids of the graph's P positions, {@code target [B,Ob]}
         * the EMA BYOL target.
         * The gradients and batch statistics live in this graph's {@link ArrayArena}: the caller uses or copies them
         * before the next {@code run}.
         */
        Out run(INDArray patches, INDArray keep, INDArray ids, INDArray target) {
            INDArray pos = online.get(aclip4j.tower.Weights.POS_EMBED).reshape(N + 1, online.get(aclip4j.tower.Weights.POS_EMBED).size(2));
            Inputs inputs = execution.inputs;
            Map<String, INDArray> ph = new HashMap<>();
            ph.put("patches", inputs.fill("patches", patches));
            ph.put("keep", inputs.fill("keep", keep));
            ph.put("eot_select", inputs.fill("eot_select", Nd4jTextTower.eotSelect(ids, ctx, DataType.FLOAT)));
            if (byol) {
                ph.put("byol_target", inputs.fill("byol_target", target));
            }
            // the gathered rows enter as variables whose arrays stay the same objects (refilled in place)
            sd.getVariable("pos_rows").getArr().assign(Nd4jStepEngine.gatherRows(pos, keep.add(1)));
            sd.getVariable("token_rows").getArr().assign(Nd4jStepEngine.gatherRows(
                    online.get(aclip4j.tower.Weights.TOKEN_EMBEDDING), ids.reshape(B * ctx)));
            // the gradient function runs forward and backward; outputs and gradients (GRAD + name) in one map
            Map<String, INDArray> out = execution.run(sd, sd.getFunction("grad"), results, () -> {
                OutAndGrad r = sd.calculateGradientsAndOutputs(ph, outputs, wrt);
                Map<String, INDArray> all = new HashMap<>(r.getOutputs());
                r.getGradients().forEach((name, g) -> all.put(GRAD + name, g));
                return all;
            });
            Map<String, INDArray> grads = new LinkedHashMap<>();
            for (String g : wrt) {
                if (out.containsKey(GRAD + g)) { // as SameDiff: no entry for a variable the loss does not reach
                    grads.put(g, out.get(GRAD + g));
                }
            }
            Traffic.out(16);
            float[] losses = {out.get("loss").getFloat(0), out.get("clip.loss").getFloat(0),
                    out.get("ssl_loss").getFloat(0), out.get("byol_loss").getFloat(0)};
            INDArray posRows = grads.remove("pos_rows");
            INDArray tokenRows = grads.remove("token_rows");
            List<BufferUpdate> stats = new ArrayList<>();
            for (Object[] b : buffers) {
                INDArray stat = out.get((String) b[1]);
                double factor = (double) b[2];
                stats.add(new BufferUpdate((String) b[0], factor == 0.0 ? stat : stat.mul(factor)));
            }
            return new Out(losses, grads, posRows, tokenRows, stats);
        }

        Execution execution() {
            return execution;
        }
    }

    /**
     * How a step graph executes, shared by {@link Ema} and {@link Train}: its input arrays, its {@link ArrayArena},
     * and, from its first execution on, the {@link CompiledExecution} recorded from it (unless compiling is off).
     */
    static final class Execution {
        final Inputs inputs = new Inputs();
        private final ArrayArena arena = new ArrayArena();
        private final boolean compile = compileByDefault();
        private CompiledExecution compiled;

        /**
         * One execution; returns its values by name ({@code names}: what a replay reads back). Before the graph is
         * compiled, {@code sameDiff} runs it outside the step's workspace with {@code session}'s outputs from the
         * arena (the SameDiff instance whose session executes: the graph, or its gradient function), while a
         * listener on {@code sd} records it.
         */
        Map<String, INDArray> run(SameDiff sd, SameDiff session, List<String> names,
                                  java.util.function.Supplier<Map<String, INDArray>> sameDiff) {
            if (compiled != null) {
                compiled.run();
                Map<String, INDArray> res = new HashMap<>();
                for (String n : names) {
                    if (compiled.has(n)) {
                        res.put(n, compiled.result(n));
                    }
                }
                return res;
            }
            arena.install(session);
            arena.reset();
            CompiledExecution.Recorder recorder = compile ? new CompiledExecution.Recorder() : null;
            if (recorder != null) {
                sd.setListeners(recorder);
            }
            Map<String, INDArray> res = Nd4jStepEngine.outsideWorkspaces(sameDiff);
            if (recorder != null) {
                sd.setListeners();
                compiled = recorder.compile(res);
            }
            return res;
        }

        /** Whether the graph runs as a {@link CompiledExecution} (after its first execution under SameDiff). */
        boolean isCompiled() {
            return compiled != null;
        }

        /** The op-output arrays the graph has created (see {@link ArrayArena#created}). */
        long arrays() {
            return arena.created();
        }
    }

    /** The key prefix of a gradient among a compiled training execution's results. */
    private static final String GRAD = "grad:";

    /**
     * {@code -Daclip4j.nd4j.compile=false}: every execution runs under SameDiff instead of the {@link CompiledExecution}
     * recorded from the first (diagnostics and comparison: BENCHMARKS.md "ND4J resident engine"). Also off while an
     * op trace is recorded ({@code -Daclip4j.nd4j.profile}), whose listener watches SameDiff's executions.
     */
    static final String COMPILE_PROPERTY = "aclip4j.nd4j.compile";

    private static boolean compileByDefault() {
        String trace = System.getProperty(Train.PROFILE_PROPERTY);
        return !"false".equals(System.getProperty(COMPILE_PROPERTY)) && (trace == null || trace.isBlank());
    }

    /**
     * A graph's input arrays, one per placeholder name, kept from execution to execution and refilled in place, so a
     * recorded execution's op contexts stay valid (see {@link CompiledExecution}).
     */
    static final class Inputs {
        private final Map<String, INDArray> arrays = new HashMap<>();

        INDArray fill(String name, INDArray value) {
            INDArray have = arrays.get(name);
            if (have == null) {
                have = Nd4jStepEngine.outsideWorkspaces(() -> value.dup('c'));
                arrays.put(name, have);
                return have;
            }
            if (!have.equalShapes(value) || have.dataType() != value.dataType()) {
                throw new IllegalArgumentException("input '" + name + "' " + java.util.Arrays.toString(value.shape())
                        + " " + value.dataType() + " differs from this graph's " + java.util.Arrays.toString(have.shape())
                        + " " + have.dataType());
            }
            return have.assign(value);
        }
    }

    /**
     * A SameDiff graph whose variables hold the given arrays themselves: the resident tensors are views into
     * {@link FlatTensors} buffers, and SameDiff's default (thread-safe) array holder stores a copy of any view — the
     * graph would then train on a frozen copy of its weights. A step graph is used by one thread at a time.
     */
    private static SameDiff newGraph() {
        SameDiff sd = SameDiff.create();
        sd.setArrayHolders(new SingleThreadArrayHolder(), new SingleThreadArrayHolder(), false);
        return sd;
    }

    /** A graph variable over a resident array (the array itself, not a copy). */
    private static SDVariable variable(SameDiff sd, String name, Map<String, INDArray> arrays) {
        INDArray a = arrays.get(name);
        if (a == null) {
            throw new IllegalArgumentException("the model has no tensor '" + name + "' for the ND4J step graph");
        }
        SDVariable v = sd.var(name, a);
        v.setArray(a);
        return v;
    }
}
