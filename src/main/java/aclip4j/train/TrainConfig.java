package aclip4j.train;

import aclip4j.Backend;
import aclip4j.Choice;
import aclip4j.data.Tokenizer;
import aclip4j.mask.AttentionScore;
import aclip4j.mask.Boxes;
import aclip4j.mask.TokenSelector;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;

/**
 * Everything one training run depends on (written to {@code config.json}; {@code --resume} reads it back).
 *
 * @param variant      SPEC §10 row
 * @param views        online views V (1 for CLIP)
 * @param keep         keep fraction f of §5.3 (tokens kept per view); NaN = the default (1/V, or 0.5 for one view)
 * @param strategy     §5.4 low | high | mixed | random (random for clip-random)
 * @param scoreLayers  §3 all | last
 * @param maskCell     mask cell c in pixels (2 patches per side by default)
 * @param ssl          §6 simclr | simsiam | none
 * @param byol         §6 BYOL on or off
 * @param simclrSameView reproduce the official code's SimCLR feeding view 1 twice (§6)
 * @param bnPerView    normalise each view's rows on their own in the SSL heads' BatchNorm (default: all V·B rows at
 *                     once, as the official code does, §6)
 * @param enclosing    §4.3 random | minimal
 * @param backend      simd | nd4j
 * @param model        tiny | vit-s16 | vit-s16-timm | vit-b16
 * @param data         scenes | fashion-mnist:PATH | mnist:PATH | folder:PATH
 * @param steps        optimiser steps I
 * @param batch        global batch B
 * @param accum        micro-batches per step (gradient accumulation, §8)
 * @param lr           peak learning rate
 * @param lrStart      warm-up start
 * @param lrEnd        cosine end
 * @param warmup       warm-up steps
 * @param weightDecay  AdamW decoupled weight decay
 * @param m0           EMA momentum at step 0 (§7)
 * @param wSsl         weight of the SSL loss
 * @param wByol        weight of the BYOL loss
 * @param augment      §9 augmentations on (false: normalise only)
 * @param freezePatchEmbed §1.1 official behaviour
 * @param seed         the one seed every random choice derives from
 * @param threads      worker threads for the SIMD kernels
 * @param checkpointEvery steps between numbered checkpoints (checkpoint-last is written at every one and at the end)
 * @param evalEvery    steps between zero-shot evaluations logged into metrics.jsonl (0 = only at the end)
 * @param evalImages   held-out images used by those evaluations
 * @param trainImages  size of the built-in scenes' train split (real data sets bring their own size)
 * @param tokenizer    clip (OpenAI CLIP's BPE, SPEC §2) | words (a vocabulary of the data's own words); absent in
 *                     configs written before the option existed, which read as words
 * @param maskWarmup   attentive variants: steps at the start whose masks are random (FLIP-style, from the same
 *                     noise) before the EMA scores choose them; 0 = attentive from the first step (the paper)
 * @param init         a safetensors state dict (or an aclip4j checkpoint's online weights) the run starts from
 *                     instead of a fresh initialisation; null = fresh
 */
public record TrainConfig(
        Variant variant, int views, double keep, TokenSelector.Strategy strategy, AttentionScore.Layers scoreLayers,
        int maskCell, Ssl ssl, boolean byol, boolean simclrSameView, boolean bnPerView, Boxes.Enclosing enclosing,
        Backend backend, String model,
        String data, int steps, int batch, int accum, double lr, double lrStart, double lrEnd, int warmup,
        double weightDecay, double m0, double wSsl, double wByol, boolean augment, boolean freezePatchEmbed,
        long seed, int threads, int checkpointEvery, int evalEvery, int evalImages, int trainImages, Tokenizer.Kind tokenizer,
        int maskWarmup, String init) {

    // Reads and writes the record; NaN never reaches a file: the default keep is written as null (strict JSON).
    // Choices are written as their command-line words ("low", "simclr").
    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues()
            .registerTypeAdapterFactory(Choice.GSON).create();
    private static final Gson PRETTY = new GsonBuilder().setPrettyPrinting().serializeNulls()
            .registerTypeAdapterFactory(Choice.GSON).create();

    /** The {@code mixed} strategy's cells kept by score first: a quarter of the cells (§5.4). */
    public static final double MIXED_TOP_SHARE = 0.25;
    /** The SimCLR temperature τ (§6, the official code's value). */
    public static final double SIMCLR_TEMPERATURE = 0.1;

    public TrainConfig {
        if (tokenizer == null) { // configs written before --tokenizer existed
            tokenizer = Tokenizer.Kind.WORDS;
        }
        if (variant == null || strategy == null || scoreLayers == null || ssl == null || enclosing == null
                || backend == null || model == null || data == null) {
            throw new IllegalArgumentException("a run config needs variant, strategy, scoreLayers, ssl, enclosing,"
                    + " backend, model and data; one is missing");
        }
        if (views < 1) {
            throw new IllegalArgumentException("--views must be at least 1, got " + views);
        }
        if (variant == Variant.CLIP && views != 1) {
            throw new IllegalArgumentException("variant clip uses one unmasked view, got --views " + views);
        }
        if (!Double.isNaN(keep) && !(keep > 0 && keep <= 1)) {
            throw new IllegalArgumentException("--keep must be in (0, 1], got " + keep);
        }
        if (ssl.on() && views < 2) {
            throw new IllegalArgumentException("--ssl " + ssl.id() + " compares two views: it needs --views 2 or more");
        }
        if (byol && !variant.ema) {
            throw new IllegalArgumentException("BYOL predicts the EMA tower's embedding: variant " + variant
                    + " has no EMA tower (use --byol off, or aclip-attn, aclip, aclip-eff)");
        }
        if (steps < 1 || batch < 1 || accum < 1 || batch % accum != 0) {
            throw new IllegalArgumentException("need --steps >= 1, --batch >= 1 and --batch divisible by --accum, got steps "
                    + steps + ", batch " + batch + ", accum " + accum);
        }
        if ((ssl.on() || byol) && batch / accum < 2) {
            throw new IllegalArgumentException("BatchNorm in the SSL heads needs at least 2 images per micro-batch, got "
                    + batch / accum);
        }
        if (!(lr > 0) || lrStart < 0 || lrEnd < 0 || warmup < 0 || warmup > steps) {
            throw new IllegalArgumentException("bad learning-rate schedule: lr " + lr + ", start " + lrStart
                    + ", end " + lrEnd + ", warmup " + warmup + " of " + steps + " steps");
        }
        if (!(m0 >= 0 && m0 <= 1)) {
            throw new IllegalArgumentException("EMA momentum must be in [0, 1], got " + m0);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        }
        if (trainImages < 1 || evalImages < 1 || checkpointEvery < 1 || evalEvery < 0) {
            throw new IllegalArgumentException("need --train-images, --eval-images and --checkpoint-every >= 1 and"
                    + " --eval-every >= 0, got " + trainImages + ", " + evalImages + ", " + checkpointEvery + ", " + evalEvery);
        }
        if (maskWarmup < 0 || maskWarmup > steps) {
            throw new IllegalArgumentException("--mask-warmup must be in [0, --steps], got " + maskWarmup);
        }
        if (maskWarmup > 0 && !variant.ema) {
            throw new IllegalArgumentException("--mask-warmup delays attentive masking: variant " + variant
                    + " has none (use aclip-attn, aclip or aclip-eff)");
        }
        if (maskCell < 1) {
            throw new IllegalArgumentException("--mask-cell must be positive, got " + maskCell);
        }
    }

    /** §5.3: the keep fraction actually used. */
    public double keepFraction() {
        if (!Double.isNaN(keep)) {
            return keep;
        }
        return views >= 2 ? 1.0 / views : 0.5;
    }

    public boolean sslOn() {
        return ssl.on();
    }

    public boolean byolOn() {
        return byol;
    }

    /** Strict JSON, pretty-printed ({@code config.json}); the default keep fraction is {@code null}. */
    public String toJson() {
        return PRETTY.toJson(toJsonObject());
    }

    public static TrainConfig fromJson(String json) {
        JsonObject o = com.google.gson.JsonParser.parseString(json).getAsJsonObject();
        if (!o.has("keep") || o.get("keep").isJsonNull()) {
            o.addProperty("keep", Double.NaN); // the default, written as null (or NaN by earlier versions)
        }
        TrainConfig c = GSON.fromJson(o, TrainConfig.class);
        // re-run validation (Gson fills records through the canonical constructor on Java 17+ with Gson 2.10+)
        return c;
    }

    /** The config as a JSON object; the default keep fraction is JSON null. */
    public JsonObject toJsonObject() {
        JsonObject o = GSON.toJsonTree(this).getAsJsonObject();
        if (Double.isNaN(keep)) {
            o.add("keep", com.google.gson.JsonNull.INSTANCE);
        }
        return o;
    }
}
