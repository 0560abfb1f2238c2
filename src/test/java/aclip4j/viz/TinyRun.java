package aclip4j.viz;

import aclip4j.data.Tokenizer;
import aclip4j.mask.AttentionScore;
import aclip4j.mask.Boxes;
import aclip4j.mask.TokenSelector;
import aclip4j.train.Ssl;
import aclip4j.Backend;
import aclip4j.train.Checkpoint;
import aclip4j.train.TrainConfig;
import aclip4j.train.Trainer;
import aclip4j.train.Variant;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tiny training runs shared by the picture tests (one per JVM): the tiny preset on the built-in scenes, batch 4,
 * two steps — enough for a real checkpoint and a real metrics.jsonl, in a couple of seconds.
 */
public final class TinyRun {
    private static Path aclip;
    private static Path clipRandom;

    private TinyRun() {}

    /** An A-CLIP run (EMA tower, two views, SimCLR + BYOL). */
    public static synchronized Path aclip() {
        if (aclip == null) {
            aclip = train(Variant.ACLIP, "simclr", true);
        }
        return aclip;
    }

    /** A FLIP-style run: no EMA tower, so the pictures fall back to the online tower. */
    public static synchronized Path clipRandom() {
        if (clipRandom == null) {
            clipRandom = train(Variant.CLIP_RANDOM, "none", false);
        }
        return clipRandom;
    }

    public static Path checkpoint(Path run) {
        return Checkpoint.lastFile(run);
    }

    static TrainConfig config(Variant v, String ssl, boolean byol) {
        return new TrainConfig(v, 2, Double.NaN, v == Variant.CLIP_RANDOM ? TokenSelector.Strategy.RANDOM
                : TokenSelector.Strategy.DROP_LOW, AttentionScore.Layers.ALL, 16, Ssl.parse(ssl), byol, false, false,
                Boxes.Enclosing.RANDOM, Backend.SIMD, "tiny", "scenes", 2, 4, 1, 1e-3, 1e-6, 1e-5, 0, 0.1, 0.99, 1, 2,
                true, true, 0, 2, 100, 0, 8, 64, Tokenizer.Kind.WORDS, 0, null);
    }

    private static void deleteTree(Path root) {
        try (java.util.stream.Stream<Path> s = Files.walk(root)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a temporary directory left behind is harmless
        }
    }

    private static Path train(Variant v, String ssl, boolean byol) {
        try {
            Path root = Files.createTempDirectory("aclip4j-viz-" + v.label);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(root)));
            Path dir = root.resolve("run");
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            Trainer t = Trainer.start(config(v, ssl, byol), dir, new PrintStream(log, true, StandardCharsets.UTF_8));
            t.run(2);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
