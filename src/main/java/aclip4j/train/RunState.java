package aclip4j.train;

import aclip4j.data.ClipBpeTokenizer;
import aclip4j.data.DataSource;
import aclip4j.data.Dataset;
import aclip4j.data.Seeds;
import aclip4j.data.Split;
import aclip4j.data.Tokenizer;
import aclip4j.data.WordTokenizer;
import aclip4j.optim.AdamWOptimizer;
import aclip4j.tensor.Safetensors;
import aclip4j.tensor.Tensor;
import aclip4j.tower.HeadsConfig;
import aclip4j.tower.Presets;
import aclip4j.tower.TextConfig;
import aclip4j.tower.VisionConfig;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's state and what it is built from: the model and data a config implies, the checkpoint a run writes
 * (online and EMA weights, AdamW moments, step, config, tokenizer), reading it back for {@code eval}, {@code masks}
 * and {@code --resume}, and {@code --init} from a state dict. {@link Trainer} is the run's lifecycle around it.
 */
public final class RunState {
    private RunState() {}

    /** The run's state as a checkpoint: weights, EMA weights, optimiser moments, step, config and tokenizer. */
    public static Checkpoint checkpoint(long step, TrainConfig cfg, Model model, AdamWOptimizer optimizer,
                                        Tokenizer tokenizer) {
        Map<String, Tensor> tensors = new LinkedHashMap<>(model.online);
        model.ema.forEach((k, v) -> tensors.put(Checkpoint.EMA + k, v));
        optimizer.state().forEach((k, mo) -> {
            tensors.put(Checkpoint.EXP_AVG + k, mo.expAvg());
            tensors.put(Checkpoint.EXP_AVG_SQ + k, mo.expAvgSq());
        });
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("config", cfg.toJsonObject().toString());
        meta.put("tokenizer", cfg.tokenizer().id());
        if (tokenizer instanceof WordTokenizer words) {
            meta.put("vocabulary", new Gson().toJson(words.words()));
        }
        JsonObject towers = new JsonObject();
        towers.addProperty("vision_heads", model.vision.heads());
        towers.addProperty("text_heads", model.text.heads());
        towers.addProperty("image_size", model.vision.imageSize());
        towers.addProperty("patch", model.vision.patch());
        meta.put("towers", towers.toString());
        return new Checkpoint(step, tensors, meta);
    }

    /** Puts a checkpoint's AdamW moments back into {@code optimizer}; a moment without its pair is refused. */
    static void restoreOptimizer(AdamWOptimizer optimizer, Checkpoint ck, Path file) throws IOException {
        Map<String, Tensor> m1 = ck.group(Checkpoint.EXP_AVG);
        Map<String, Tensor> m2 = ck.group(Checkpoint.EXP_AVG_SQ);
        for (Map.Entry<String, Tensor> e : m1.entrySet()) {
            Tensor sq = m2.get(e.getKey());
            if (sq == null) {
                throw new IOException(file + ": exp_avg of '" + e.getKey() + "' has no exp_avg_sq");
            }
            optimizer.restore(e.getKey(), ck.step(), e.getValue(), sq);
        }
    }

    /** The tokenizer a config names: CLIP's bundled BPE, or the word vocabulary of the training split. */
    static Tokenizer newTokenizer(TrainConfig cfg, Dataset train) throws IOException {
        return cfg.tokenizer() == Tokenizer.Kind.CLIP ? ClipBpeTokenizer.bundled(context(cfg.model()))
                : WordTokenizer.forDataset(train, context(cfg.model()));
    }

    /** Model sizes for a preset name and a vocabulary. */
    public static Model.Parts parts(TrainConfig cfg) {
        return new Model.Parts(cfg.ssl() == Ssl.SIMCLR, cfg.ssl() == Ssl.SIMSIAM,
                cfg.byolOn(), cfg.variant().ema);
    }

    /** Text context of the model preset (the tiny text tower reads short captions). */
    public static int context(String model) {
        return model.equals("tiny") ? Presets.text("tiny", 100).context() : 77;
    }

    /**
     * {@code --init}: overwrites every online weight of {@code model} with the tensor of the same name in
     * {@code file} — a safetensors state dict under the PyTorch names (goldens/README.md "Weight names"), or an
     * aclip4j checkpoint, whose online weights are used — and starts the EMA copies equal to them (§7). Strict, like
     * {@code load_state_dict(strict=True)}: a missing weight, an unexpected one or a shape that differs is refused,
     * named. Returns the number of weights read.
     */
    public static int initFrom(Model model, Path file) throws IOException {
        Safetensors.Contents c = Safetensors.read(file);
        Map<String, Tensor> given = Checkpoint.FORMAT.equals(c.metadata().get("format"))
                ? new Checkpoint(0, c.tensors(), c.metadata()).online() : c.tensors();
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>(), misshapen = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : model.online.entrySet()) {
            Tensor t = given.get(e.getKey());
            if (t == null) {
                missing.add(e.getKey());
            } else if (!java.util.Arrays.equals(t.shape(), e.getValue().shape()) || t.dtype() != e.getValue().dtype()) {
                misshapen.add(e.getKey() + " " + t.dtype() + java.util.Arrays.toString(t.shape()) + " (the model's: "
                        + e.getValue().dtype() + java.util.Arrays.toString(e.getValue().shape()) + ")");
            }
        }
        for (String k : given.keySet()) {
            if (!model.online.containsKey(k)) {
                unexpected.add(k);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !misshapen.isEmpty()) {
            throw new IllegalArgumentException(file + " does not fit this model (--model, --variant): "
                    + (missing.isEmpty() ? "" : missing.size() + " missing " + first(missing) + " ")
                    + (unexpected.isEmpty() ? "" : unexpected.size() + " unexpected " + first(unexpected) + " ")
                    + (misshapen.isEmpty() ? "" : misshapen.size() + " of another shape " + first(misshapen)));
        }
        for (Map.Entry<String, Tensor> e : model.online.entrySet()) {
            float[] src = given.get(e.getKey()).floats();
            System.arraycopy(src, 0, e.getValue().floats(), 0, src.length);
            Tensor emaCopy = model.ema.get(e.getKey());
            if (emaCopy != null) {
                System.arraycopy(src, 0, emaCopy.floats(), 0, src.length);
            }
        }
        return model.online.size();
    }

    private static String first(List<String> names) {
        return names.size() <= 4 ? names.toString() : names.subList(0, 4) + " …";
    }

    public static Model newModel(TrainConfig cfg, int vocab) {
        VisionConfig v = Presets.vision(cfg.model());
        TextConfig t = Presets.text(cfg.model().equals("tiny") ? "tiny" : "clip-base", vocab);
        HeadsConfig h = Presets.heads(cfg.model().equals("tiny") ? "tiny" : "paper", v.width());
        return Model.init(v, t, h, parts(cfg), Seeds.rng(cfg.seed(), Batches.STREAM_INIT, 0));
    }

    /** One split of the run's data at the model's view resolution. */
    public static Dataset openData(TrainConfig cfg, Split split) {
        int S = Presets.vision(cfg.model()).imageSize();
        return DataSource.parse(cfg.data()).open(split,
                new DataSource.Options(cfg.seed(), S, cfg.trainImages(), Math.max(cfg.evalImages(), 1)));
    }

    /** A trained model read back from a checkpoint: its config, weights and tokenizer. */
    public record Loaded(TrainConfig config, Model model, Tokenizer tokenizer, Checkpoint checkpoint) {}

    /** Reads a checkpoint written by {@link #checkpoint}; a file without the run's config is refused. */
    public static Loaded load(Path file) throws IOException {
        Checkpoint ck = Checkpoint.load(file);
        String json = ck.metadata().get("config");
        if (json == null) {
            throw new IOException(file + ": checkpoint metadata lacks 'config'");
        }
        TrainConfig cfg = TrainConfig.fromJson(json);
        Tokenizer tok;
        if (cfg.tokenizer() == Tokenizer.Kind.CLIP) {
            tok = ClipBpeTokenizer.bundled(context(cfg.model()));
        } else {
            String vocabulary = ck.metadata().get("vocabulary");
            if (vocabulary == null) {
                throw new IOException(file + ": checkpoint metadata lacks the 'vocabulary' of its word tokenizer");
            }
            List<String> words = new Gson().fromJson(vocabulary, new TypeToken<List<String>>() {}.getType());
            tok = WordTokenizer.of(words, context(cfg.model()));
        }
        Model fresh = newModel(cfg, tok.vocabSize());
        Model model = new Model(fresh.vision, fresh.text, fresh.heads, ck.online(), ck.group(Checkpoint.EMA));
        try {
            model.validate();
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        return new Loaded(cfg, model, tok, ck);
    }

    /** Deletes the temporary files of atomic writes a killed process left in {@code dir} ({@code .NAME.*.tmp}). */
    public static void removeTornTemporaries(Path dir, PrintStream log) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith(".") && n.endsWith(".tmp") && Files.isRegularFile(p)) {
                    Files.delete(p);
                    log.println("removed " + p + ", left by an interrupted write");
                }
            }
        }
    }
}
