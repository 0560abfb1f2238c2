package aclip4j.cli;

import aclip4j.train.RunState;
import aclip4j.Backend;
import aclip4j.data.DataSource;
import aclip4j.data.Dataset;
import aclip4j.data.Split;
import aclip4j.eval.Evaluator;
import aclip4j.kernel.Lanes;
import aclip4j.train.Components;
import aclip4j.train.Model;
import aclip4j.train.Trainer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code aclip4j eval}: zero-shot and retrieval of a checkpoint on held-out data (SPEC §11). */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Zero-shot top-1/top-5 and retrieval recall@1/5/10 (image→text, text→image) of a checkpoint",
                "on a held-out split. EMA towers by default (paper Table 7)."})
public final class EvalCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "a checkpoint-*.safetensors of a run")
    Path checkpoint;

    @Option(names = "--data", description = "scenes | fashion-mnist:DIR | mnist:DIR | folder:DIR | wds:SHARDS | csv:FILE (default: the run's data; its held-out split)")
    String data;

    @Option(names = "--towers", defaultValue = "ema", description = "ema | online (default: ${DEFAULT-VALUE}; online when the run has no EMA)")
    String towers;

    @Option(names = "--backend", defaultValue = "simd", description = "simd | nd4j (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--images", defaultValue = "500", description = "held-out images to use (default: ${DEFAULT-VALUE})")
    int images;

    @Option(names = "--masks", defaultValue = "none", description = "none | attentive | random: see each held-out image"
            + " through the run's masks (one view, the whole image; attentive: the EMA tower's scores and the run's"
            + " strategy and keep count) — an analysis of what training saw, not the §11 protocol (default: ${DEFAULT-VALUE})")
    String masks;

    @Option(names = "--json", description = "print one JSON object with the metrics on the last line")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (!towers.equals("ema") && !towers.equals("online")) {
            throw new IllegalArgumentException("--towers is '" + towers + "', expected ema or online");
        }
        RunState.Loaded run = RunState.load(checkpoint);
        Model m = run.model();
        boolean ema = towers.equals("ema") && !m.ema.isEmpty();
        String source = data != null ? data : run.config().data();
        Dataset heldOut = DataSource.parse(source).open(Split.TEST,
                new DataSource.Options(run.config().seed(), m.vision.imageSize(), 20000, Math.max(1, images)));
        Components c = Components.of(Backend.parse(backend), m.vision, m.vision.imageSize(), m.text, m.heads,
                Lanes.preferred());
        Evaluator.Report r = Evaluator.evaluate(c.vision(), c.text(), m.evalWeights(ema), m.vision.imageSize(),
                m.vision.embed(), heldOut, run.tokenizer(), images, 32, ema ? "ema" : "online", masker(run, c));
        System.out.println(checkpoint + " (step " + run.checkpoint().step() + ", " + source + " held-out)");
        System.out.println(r.summary());
        if (json) {
            System.out.println(r.toJson());
        }
        return 0;
    }

    /** {@code --masks}: the run's token selection on the whole evaluation image, or null for {@code none}. */
    private Evaluator.Masker masker(RunState.Loaded run, Components c) {
        if (masks.equals("none")) {
            return null;
        }
        boolean attentive = masks.equals("attentive");
        if (!attentive && !masks.equals("random")) {
            throw new IllegalArgumentException("--masks is '" + masks + "', expected none, attentive or random");
        }
        Model m = run.model();
        if (attentive && m.ema.isEmpty()) {
            throw new IllegalArgumentException("--masks attentive needs the EMA tower, and " + checkpoint + " has none");
        }
        aclip4j.train.AClipStep.Settings st = Trainer.settings(run.config(), m.vision, m.vision.imageSize());
        int S = m.vision.imageSize(), G = m.vision.grid(), r = st.patchesPerCell(), g = G / r, K = st.keepCells();
        java.util.SplittableRandom rng = aclip4j.data.Seeds.rng(run.config().seed(), 9, 0);
        return new Evaluator.Masker() {
            @Override
            public int[] keep(float[] pixels, int B) {
                // the EMA tower sees the whole image: its box and the view's are that image
                float[] scores = !attentive ? null : aclip4j.train.AClipStep.scoreMap(c, c.vision().forward(m.ema,
                        pixels, B, null, 0, true, st.scoreLayers() == aclip4j.mask.AttentionScore.Layers.LAST),
                        m.vision, B, S);
                int[] box = new int[B * 4];
                for (int b = 0; b < B; b++) {
                    box[b * 4 + 2] = S;
                    box[b * 4 + 3] = S;
                }
                float[] noise = new float[B * g * g];
                for (int i = 0; i < noise.length; i++) {
                    noise[i] = (float) rng.nextDouble();
                }
                return aclip4j.train.AClipStep.keptTokens(c, st, scores, B, G, box, box, G, noise);
            }

            @Override
            public int kept() {
                return K * r * r;
            }
        };
    }
}
