package aclip4j.train;

import aclip4j.tensor.Safetensors;
import aclip4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A training checkpoint in the golden file format (goldens/README.md "Weight names"), so PyTorch opens it by the official
 * names: online weights under their {@code state_dict} names, EMA weights prefixed {@code ema.}, AdamW moments
 * prefixed {@code optim.exp_avg.} and {@code optim.exp_avg_sq.}; the step, seed and run config in the metadata.
 * Every file is written to a temporary file and renamed, so a crash never leaves a torn checkpoint.
 */
public record Checkpoint(long step, Map<String, Tensor> tensors, Map<String, String> metadata) {
    public static final String FORMAT = "aclip4j-checkpoint";
    public static final String EMA = "ema.";
    public static final String EXP_AVG = "optim.exp_avg.";
    public static final String EXP_AVG_SQ = "optim.exp_avg_sq.";

    /** {@code dir/checkpoint-<step>.safetensors}. */
    public static Path stepFile(Path dir, long step) {
        return dir.resolve("checkpoint-" + step + ".safetensors");
    }

    public static Path lastFile(Path dir) {
        return dir.resolve("checkpoint-last.safetensors");
    }

    /** Writes {@code checkpoint-<step>} (when {@code keepStepFile}) and {@code checkpoint-last}, each atomically. */
    public void save(Path dir, boolean keepStepFile) throws IOException {
        Files.createDirectories(dir);
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("format", FORMAT);
        meta.put("step", Long.toString(step));
        // streamed to disk tensor by tensor (the heap holds the model and its activations), then copied
        if (keepStepFile) {
            Safetensors.write(stepFile(dir, step), tensors, meta);
            Safetensors.copyAtomically(stepFile(dir, step), lastFile(dir));
        } else {
            Safetensors.write(lastFile(dir), tensors, meta);
        }
    }

    /** Reads a checkpoint file; a file of another kind or without a step is refused with the reason. */
    public static Checkpoint load(Path file) throws IOException {
        Safetensors.Contents c = Safetensors.read(file);
        if (!FORMAT.equals(c.metadata().get("format"))) {
            throw new Safetensors.FormatException(file, "not an aclip4j checkpoint (metadata 'format' is "
                    + c.metadata().get("format") + ", expected " + FORMAT + ")");
        }
        long step;
        try {
            step = Long.parseLong(c.metadata().get("step"));
        } catch (RuntimeException e) {
            throw new Safetensors.FormatException(file, "checkpoint metadata has no valid 'step'");
        }
        return new Checkpoint(step, c.tensors(), c.metadata());
    }

    /** Tensors whose names start with {@code prefix}, with the prefix removed. */
    public Map<String, Tensor> group(String prefix) {
        return Model.sub(tensors, prefix);
    }

    /** Tensors with none of the reserved prefixes: the online model. */
    public Map<String, Tensor> online() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> {
            if (!k.startsWith(EMA) && !k.startsWith("optim.")) {
                out.put(k, v);
            }
        });
        return out;
    }
}
