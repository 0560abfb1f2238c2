package aclip4j.cli;

import aclip4j.Choice;
import aclip4j.data.Tokenizer;
import aclip4j.mask.AttentionScore;
import aclip4j.mask.Boxes;
import aclip4j.mask.TokenSelector;
import aclip4j.train.Ssl;
import aclip4j.Backend;
import aclip4j.data.DataSource;
import aclip4j.eval.Evaluator;
import aclip4j.kernel.Parallel;
import aclip4j.tower.Presets;
import aclip4j.train.Checkpoint;
import aclip4j.train.TrainConfig;
import aclip4j.train.Trainer;
import aclip4j.train.Variant;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code aclip4j train}: one of the SPEC §10 variants, on built-in scenes or real data. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train CLIP, FLIP-style random masking, A-CLIP or A-CLIP-eff (SPEC §10).",
                "Writes config.json, metrics.jsonl (one JSON object per step) and checkpoint-<step>.safetensors /"
                        + " checkpoint-last.safetensors (online weights, ema.*, optimiser moments) into --out."})
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--variant", defaultValue = "aclip", description = "clip | clip-random | aclip-attn | aclip | aclip-eff (default: ${DEFAULT-VALUE})")
    String variant;

    @Option(names = "--views", description = "online views K (default: 1 for clip, else 2)")
    Integer views;

    @Option(names = "--keep", description = "fraction of mask cells kept per view (default: 1/views, or 0.5 for one view)")
    Double keep;

    @Option(names = "--strategy", defaultValue = "low", description = "low | high | mixed | random (default: ${DEFAULT-VALUE}; clip-random always random)")
    String strategy;

    @Option(names = "--score-layers", defaultValue = "all", description = "all | last: attention layers of the EMA score (default: ${DEFAULT-VALUE})")
    String scoreLayers;

    @Option(names = "--mask-cell", description = "mask cell side in pixels (default: 2 patches, e.g. 32 px for 16 px patches)")
    Integer maskCell;

    @Option(names = "--ssl", description = "simclr | simsiam | none (default: simclr for aclip and aclip-eff, else none)")
    String ssl;

    @Option(names = "--byol", description = "on | off: BYOL loss to the EMA tower (default: on for aclip and aclip-eff, else off)")
    String byol;

    @Option(names = "--bn-per-view", description = "SSL heads' BatchNorm over each view's rows alone (default: all "
            + "views' rows at once, as the official code)")
    boolean bnPerView;

    @Option(names = "--simclr-same-view", description = "reproduce the official code's SimCLR bug (view 1 fed twice)")
    boolean simclrSameView;

    @Option(names = "--enclosing", defaultValue = "random", description = "random | minimal: EMA box around the views (default: ${DEFAULT-VALUE})")
    String enclosing;

    @Option(names = "--backend", defaultValue = "simd", description = "simd | nd4j (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--model", defaultValue = "tiny", description = "tiny | vit-s16 (12 heads, official) | vit-s16-timm (6 heads) | vit-b16 (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--data", defaultValue = "scenes", description = "scenes | fashion-mnist:DIR | mnist:DIR | folder:DIR | wds:SHARDS | csv:FILE (default: ${DEFAULT-VALUE})")
    String data;

    @Option(names = "--steps", defaultValue = "300", description = "optimiser steps (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--batch", defaultValue = "32", description = "global batch (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--accum", defaultValue = "1", description = "micro-batches per step, gradient accumulation (default: ${DEFAULT-VALUE})")
    int accum;

    @Option(names = "--lr", defaultValue = "5e-4", description = "peak learning rate (default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--lr-start", defaultValue = "1e-6", description = "warm-up start (default: ${DEFAULT-VALUE})")
    double lrStart;

    @Option(names = "--lr-end", defaultValue = "1e-5", description = "cosine end (default: ${DEFAULT-VALUE})")
    double lrEnd;

    @Option(names = "--warmup", description = "warm-up steps (default: 10%% of --steps)")
    Integer warmup;

    @Option(names = "--wd", defaultValue = "0.1", description = "AdamW weight decay (default: ${DEFAULT-VALUE})")
    double wd;

    @Option(names = "--m0", defaultValue = "0.996", description = "EMA momentum at step 0, cosine to 1 (default: ${DEFAULT-VALUE})")
    double m0;

    @Option(names = "--w-ssl", defaultValue = "1", description = "SSL loss weight (default: ${DEFAULT-VALUE})")
    double wSsl;

    @Option(names = "--w-byol", defaultValue = "2", description = "BYOL loss weight (default: ${DEFAULT-VALUE})")
    double wByol;

    @Option(names = "--augment", defaultValue = "on", description = "on | off: SPEC §9 augmentations (default: ${DEFAULT-VALUE})")
    String augment;

    @Option(names = "--freeze-patch-embed", defaultValue = "on", description = "on | off: the official code freezes the patch embedding (default: ${DEFAULT-VALUE})")
    String freezePatchEmbed;

    @Option(names = "--seed", defaultValue = "0", description = "seed of every random choice (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--threads", description = "worker threads for the SIMD kernels (default: all cores)")
    Integer threads;

    @Option(names = "--checkpoint-every", defaultValue = "100", description = "steps between numbered checkpoints (default: ${DEFAULT-VALUE})")
    int checkpointEvery;

    @Option(names = "--eval-every", defaultValue = "0", description = "steps between held-out evaluations logged to metrics.jsonl (default: 0 = at the end only)")
    int evalEvery;

    @Option(names = "--eval-images", defaultValue = "500", description = "held-out images per evaluation (default: ${DEFAULT-VALUE})")
    int evalImages;

    @Option(names = "--train-images", defaultValue = "20000", description = "train-split size of the built-in scenes (default: ${DEFAULT-VALUE})")
    int trainImages;

    @Option(names = "--out", description = "run directory (default: runs/<variant>-<seed>)")
    Path out;

    @Option(names = "--csv-img-key", description = "csv: data: the image-path column (default: filepath)")
    String csvImgKey;

    @Option(names = "--csv-caption-key", description = "csv: data: the caption column (default: title)")
    String csvCaptionKey;

    @Option(names = "--csv-separator", description = "csv: data: tab, comma or one character (default: tab)")
    String csvSeparator;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu | cuda: where the nd4j twin runs; cuda needs"
            + " --backend nd4j and a build with -Pcuda (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--init", paramLabel = "FILE", description = "start from this safetensors state dict (PyTorch names,"
            + " e.g. reference/export_state_dict.py) or checkpoint's online weights; strict: every weight, nothing else")
    String init;

    @Option(names = "--mask-warmup", defaultValue = "0", description = "attentive variants: steps whose masks are random"
            + " (FLIP-style) before the EMA scores choose them (default: ${DEFAULT-VALUE}, attentive from the start)")
    int maskWarmup;

    @Option(names = "--tokenizer", description = "clip | words: OpenAI CLIP's BPE, or a vocabulary of the data's own"
            + " words (default: clip for folder:, words for the built-in scenes and the labelled sets)")
    String tokenizer;

    @Option(names = "--resume", paramLabel = "DIR", description = "continue the run in DIR from its last checkpoint, with its own config")
    Path resume;

    static boolean onOff(String option, String value) {
        switch (value) {
            case "on": case "true": return true;
            case "off": case "false": return false;
            default: throw new IllegalArgumentException(option + " is '" + value + "', expected on or off");
        }
    }

    public TrainConfig config() {
        Variant v = Variant.parse(variant);
        int patch = Presets.vision(model).patch();
        Ssl sslChoice = ssl != null ? Ssl.parse(ssl) : (v.defaultSsl ? Ssl.SIMCLR : Ssl.NONE);
        String data = dataSpec();
        return new TrainConfig(v, views != null ? views : v.defaultViews, keep != null ? keep : Double.NaN,
                v == Variant.CLIP_RANDOM ? TokenSelector.Strategy.RANDOM
                        : Choice.parse(TokenSelector.Strategy.class, strategy, "--strategy"),
                Choice.parse(AttentionScore.Layers.class, scoreLayers, "--score-layers"),
                maskCell != null ? maskCell : 2 * patch, sslChoice, byol != null ? onOff("--byol", byol) : v.defaultByol,
                simclrSameView, bnPerView, Choice.parse(Boxes.Enclosing.class, enclosing, "--enclosing"),
                Backend.parse(backend), model, data,
                steps, batch, accum, lr, lrStart, lrEnd, warmup != null ? warmup : steps / 10, wd, m0, wSsl, wByol,
                onOff("--augment", augment), onOff("--freeze-patch-embed", freezePatchEmbed), seed,
                threads != null ? threads : Runtime.getRuntime().availableProcessors(), checkpointEvery, evalEvery,
                evalImages, trainImages, tokenizer != null ? Tokenizer.Kind.parse(tokenizer) : defaultTokenizer(data),
                maskWarmup, init);
    }

    /** {@code --data}, with the {@code --csv-*} choices written into a {@code csv:} source (CsvDataset). */
    String dataSpec() {
        if (csvImgKey == null && csvCaptionKey == null && csvSeparator == null) {
            return data;
        }
        if (DataSource.parse(data).kind() != DataSource.Kind.CSV) {
            throw new IllegalArgumentException("--csv-img-key, --csv-caption-key and --csv-separator need --data csv:FILE,"
                    + " got --data " + data);
        }
        String s = data;
        s += csvImgKey != null ? "::img=" + csvImgKey : "";
        s += csvCaptionKey != null ? "::caption=" + csvCaptionKey : "";
        if (csvSeparator != null) {
            char c = aclip4j.data.CsvDataset.separator(csvSeparator);
            s += "::sep=" + (c == '\t' ? "tab" : c == ',' ? "comma" : String.valueOf(c));
        }
        return s;
    }

    /** CLIP's BPE for real captions (folders, shards, tables); the data's own words for the built-in and labelled sets. */
    static Tokenizer.Kind defaultTokenizer(String data) {
        DataSource.Kind k = DataSource.parse(data).kind();
        return k == DataSource.Kind.FOLDER || k == DataSource.Kind.WDS || k == DataSource.Kind.CSV
                ? Tokenizer.Kind.CLIP : Tokenizer.Kind.WORDS;
    }

    @Override
    public Integer call() throws Exception {
        Trainer trainer;
        Path dir;
        if (resume != null) {
            dir = resume;
            trainer = Trainer.resume(resume, System.out);
            aclip4j.Device.parse(device).require(trainer.config().backend());
            Parallel.setThreads(threads != null ? threads : trainer.config().threads());
        } else {
            TrainConfig cfg = config();
            aclip4j.Device.parse(device).require(cfg.backend());
            Parallel.setThreads(cfg.threads());
            dir = out != null ? out : Path.of("runs", cfg.variant().label + "-" + cfg.seed());
            trainer = Trainer.start(cfg, dir, System.out);
            System.out.println("training " + cfg.variant() + " (" + cfg.model() + ", " + cfg.backend().label() + ", "
                    + cfg.steps() + " steps of " + cfg.batch() + ") into " + dir);
        }
        trainer.run(Long.MAX_VALUE);
        Evaluator.Report r = trainer.evaluate(trainer.config().evalImages());
        System.out.println("held-out: " + r.summary());
        System.out.println("checkpoint: " + Checkpoint.lastFile(dir));
        return 0;
    }
}
