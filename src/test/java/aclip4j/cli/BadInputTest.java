package aclip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.tensor.Safetensors;
import aclip4j.tensor.Tensor;
import aclip4j.viz.TinyRun;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input through the command line: every case exits non-zero with exactly one line on stderr, {@code aclip4j: }
 * and a message that names the problem — never a stack trace, never a hang.
 */
class BadInputTest {
    @TempDir
    static Path dir;

    /** One case: what it is, how to build its arguments in a scratch folder, and what the message must say. */
    record Case(String name, Function<Path, String[]> args, String expect) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final String[] TRAIN = {"train", "--steps", "2", "--batch", "4", "--train-images", "16",
            "--eval-images", "4"};

    private static String[] train(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of(TRAIN));
        a.addAll(List.of(more));
        a.addAll(List.of("--out", out.resolve("run").toString()));
        return a.toArray(new String[0]);
    }

    private static Path write(Path d, String name, byte[] bytes) {
        try {
            Files.createDirectories(d);
            return Files.write(d.resolve(name), bytes);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A safetensors file with this header JSON and {@code data} bytes after it. */
    private static byte[] safetensors(String header, int data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return b.array();
    }

    private static String[] eval(Path file) {
        return new String[] {"eval", "--checkpoint", file.toString(), "--images", "4"};
    }

    private static Path idxDir(Path d, int imageMagic, int labelCount) {
        ByteBuffer img = ByteBuffer.allocate(16 + 2 * 4).putInt(imageMagic).putInt(2).putInt(2).putInt(2);
        ByteBuffer lab = ByteBuffer.allocate(8 + labelCount).putInt(0x801).putInt(labelCount);
        write(d, "train-images-idx3-ubyte", img.array());
        write(d, "train-labels-idx1-ubyte", lab.array());
        write(d, "t10k-images-idx3-ubyte", img.array());
        write(d, "t10k-labels-idx1-ubyte", lab.array());
        return d;
    }

    private static Path goldenCase(Path d, String component, Map<String, Tensor> tensors) {
        try {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format_version", "1");
            meta.put("component", component);
            meta.put("case", "bad");
            meta.put("params", "{}");
            meta.put("atol", "1e-5");
            meta.put("rtol", "1e-4");
            Files.createDirectories(d.resolve(component));
            Safetensors.write(d.resolve(component).resolve("bad.safetensors"), tensors, meta);
            return d;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        // malformed safetensors, through eval --checkpoint
        c.add(new Case("missing checkpoint", d -> eval(d.resolve("nope.safetensors")), "nope.safetensors"));
        c.add(new Case("truncated to 3 bytes", d -> eval(write(d, "t.safetensors", new byte[] {1, 2, 3})), "t.safetensors"));
        c.add(new Case("zero-size file", d -> eval(write(d, "z.safetensors", new byte[0])), "z.safetensors"));
        c.add(new Case("huge header length", d -> {
            ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40);
            return eval(write(d, "h.safetensors", b.array()));
        }, "header"));
        c.add(new Case("header not JSON", d -> eval(write(d, "j.safetensors", safetensors("{not json", 0))), "j.safetensors"));
        c.add(new Case("unknown dtype", d -> eval(write(d, "dt.safetensors",
                safetensors("{\"w\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4))), "unknown dtype"));
        c.add(new Case("offsets past the end", d -> eval(write(d, "o.safetensors",
                safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8))), "o.safetensors"));
        c.add(new Case("overlapping offsets", d -> eval(write(d, "ov.safetensors", safetensors(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12))), "ov.safetensors"));
        c.add(new Case("shape and bytes disagree", d -> eval(write(d, "s.safetensors",
                safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8))), "needs 12 bytes"));
        c.add(new Case("a safetensors file that is no checkpoint", d -> {
            try {
                Path f = d.resolve("plain.safetensors");
                Safetensors.write(f, Map.of("w", Tensor.f32(new float[] {1}, 1)), Map.of());
                return eval(f);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, "not an aclip4j checkpoint"));
        // golden cases
        c.add(new Case("golden folder missing", d -> new String[] {"goldens", "verify", d.resolve("none").toString()},
                "none"));
        c.add(new Case("golden of an unknown component", d -> new String[] {"goldens", "verify", goldenCase(
                d.resolve("g1"), "frobnicate", Map.of("x", Tensor.f32(new float[] {1}, 1))).toString()}, "frobnicate"));
        c.add(new Case("golden missing its tensors", d -> new String[] {"goldens", "verify", goldenCase(
                d.resolve("g2"), "clip_loss", Map.of("x", Tensor.f32(new float[] {1}, 1))).toString()}, "clip_loss"));
        // impossible configs
        c.add(new Case("keep above 1", d -> train(d, "--keep", "1.5"), "--keep"));
        c.add(new Case("keep 0", d -> train(d, "--keep", "0"), "--keep"));
        c.add(new Case("no views", d -> train(d, "--views", "0"), "--views"));
        c.add(new Case("unknown strategy", d -> train(d, "--strategy", "sideways"), "--strategy"));
        c.add(new Case("unknown variant", d -> train(d, "--variant", "flip"), "flip"));
        c.add(new Case("one image per BatchNorm", d -> train(d, "--batch", "2", "--accum", "2"), "BatchNorm"));
        c.add(new Case("batch not divisible by accum", d -> train(d, "--accum", "3"), "--accum"));
        c.add(new Case("unknown backend", d -> train(d, "--backend", "tpu"), "tpu"));
        c.add(new Case("unknown model", d -> train(d, "--model", "vit-z99"), "vit-z99"));
        c.add(new Case("unknown tokenizer", d -> train(d, "--tokenizer", "chars"), "--tokenizer"));
        c.add(new Case("SimCLR with one view", d -> train(d, "--ssl", "simclr", "--views", "1"), "--views 2"));
        c.add(new Case("BYOL without an EMA tower", d -> train(d, "--variant", "clip", "--byol", "on"), "EMA"));
        c.add(new Case("mask cell not a multiple of the patch", d -> train(d, "--mask-cell", "12"), "12"));
        c.add(new Case("mixed strategy with more top cells than kept", d -> train(d, "--strategy", "mixed",
                "--keep", "0.05"), "mixed"));
        c.add(new Case("zero steps", d -> train(d, "--steps", "0"), "--steps"));
        c.add(new Case("steps not a number", d -> train(d, "--steps", "many"), "many"));
        c.add(new Case("negative learning rate", d -> train(d, "--lr", "-1"), "lr"));
        c.add(new Case("momentum above 1", d -> train(d, "--m0", "2"), "momentum"));
        c.add(new Case("zero threads", d -> train(d, "--threads", "0"), "--threads"));
        c.add(new Case("warm-up longer than the run", d -> train(d, "--warmup", "9"), "warmup"));
        c.add(new Case("unknown option", d -> train(d, "--colour", "red"), "--colour"));
        c.add(new Case("resume of a folder that is no run", d -> new String[] {"train", "--resume",
                d.resolve("empty-run").toString()}, "empty-run"));
        // data
        c.add(new Case("unknown data source", d -> train(d, "--data", "imagenet:/x"), "imagenet"));
        c.add(new Case("IDX folder missing", d -> train(d, "--data", "fashion-mnist:" + d.resolve("nofm")), "nofm"));
        c.add(new Case("IDX with a wrong magic", d -> train(d, "--data", "mnist:" + idxDir(d.resolve("magic"), 0x1234,
                2)), "magic"));
        c.add(new Case("IDX labels and images disagree", d -> train(d, "--data", "mnist:" + idxDir(d.resolve("count"),
                0x803, 3)), "labels"));
        c.add(new Case("image folder without captions.tsv", d -> {
            try {
                Files.createDirectories(d.resolve("nocap"));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return train(d, "--data", "folder:" + d.resolve("nocap"));
        }, "captions.tsv"));
        c.add(new Case("empty captions.tsv", d -> {
            write(d.resolve("emptycap"), "captions.tsv", new byte[0]);
            return train(d, "--data", "folder:" + d.resolve("emptycap"));
        }, "captions.tsv"));
        c.add(new Case("caption naming a file that is not an image", d -> {
            StringBuilder tsv = new StringBuilder();
            for (int i = 0; i < 20; i++) { // enough rows for both splits (every tenth is held out)
                write(d.resolve("notimg"), "a" + i + ".png", "not a png".getBytes(StandardCharsets.UTF_8));
                tsv.append("a").append(i).append(".png\ta cat\n");
            }
            write(d.resolve("notimg"), "captions.tsv", tsv.toString().getBytes(StandardCharsets.UTF_8));
            return train(d, "--data", "folder:" + d.resolve("notimg"));
        }, ".png"));
        c.add(new Case("eval of a checkpoint on data of another image size", d -> new String[] {"eval",
                "--checkpoint", TinyRun.checkpoint(TinyRun.aclip()).toString(), "--data", "nope:x"}, "nope"));
        c.add(new Case("unknown device", d -> train(d, "--device", "tpu"), "unknown device 'tpu'"));
        c.add(new Case("cuda with the simd twin", d -> train(d, "--device", "cuda"), "add --backend nd4j"));
        c.add(new Case("cuda in a CPU-only build", d -> train(d, "--device", "cuda", "--backend", "nd4j"),
                "this build has ND4J's CPU backend only"));
        c.add(new Case("mask cell that does not tile the grid", d -> train(d, "--mask-cell", "24"), "--mask-cell 24"));
        c.add(new Case("output folder under a file", d -> {
            Path f = write(d, "plain.txt", new byte[] {1});
            return new String[] {"train", "--steps", "2", "--batch", "4", "--train-images", "16", "--out",
                    f.resolve("run").toString()};
        }, "plain.txt"));
        // a checkpoint whose weights are of another model size than its config says
        for (String cmd : new String[] {"eval", "masks", "resume"}) {
            c.add(new Case("checkpoint of another size to " + cmd, d -> {
                Path run = otherSize(d);
                return switch (cmd) {
                    case "eval" -> new String[] {"eval", "--checkpoint", aclip4j.train.Checkpoint.lastFile(run)
                            .toString(), "--images", "4"};
                    case "masks" -> new String[] {"masks", "--checkpoint", aclip4j.train.Checkpoint.lastFile(run)
                            .toString(), "--out", d.resolve("m.png").toString()};
                    default -> new String[] {"train", "--resume", run.toString()};
                };
            }, "pos_embed"));
        }
        return c.stream();
    }

    /** A copy of the tiny A-CLIP run whose pos_embed has one position too few for its config. */
    private static Path otherSize(Path d) {
        try {
            Path run = Files.createDirectories(d.resolve("other-size"));
            Path src = TinyRun.aclip();
            Files.copy(src.resolve("config.json"), run.resolve("config.json"));
            aclip4j.train.Checkpoint ck = aclip4j.train.Checkpoint.load(aclip4j.train.Checkpoint.lastFile(src));
            Map<String, Tensor> t = new LinkedHashMap<>(ck.tensors());
            Tensor pos = t.get("pos_embed");
            int[] shape = pos.shape();
            int D = shape[2], T = shape[1] - 1;
            t.put("pos_embed", Tensor.f32(java.util.Arrays.copyOf(pos.floats(), T * D), 1, T, D));
            new aclip4j.train.Checkpoint(ck.step(), t, ck.metadata()).save(run, false);
            return run;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @org.junit.jupiter.api.Test
    void withoutTheVectorModuleOneLineSaysHowToRun() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "aclip4j.cli.Main",
                "--version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(2, p.waitFor(), out);
        assertEquals(1, out.lines().count(), out);
        assertTrue(out.startsWith("aclip4j: the JDK module jdk.incubator.vector is not loaded"), out);
    }

    /** A bad {@code -D} setting read while a class loads: one line naming it, not an initializer's stack trace. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"-Daclip4j.threads=abc", "-Daclip4j.spin.micros=-1"})
    void aBadSystemPropertyIsOneLine(String setting) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", setting, "-cp",
                System.getProperty("java.class.path"), "aclip4j.cli.Main", "bench", "--model", "tiny", "--steps", "1",
                "--warmup", "0", "--variants", "clip").redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip()
                .lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).reduce("", (a, b) -> a + b + "\n")
                .strip();
        assertEquals(2, p.waitFor(), err);
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("aclip4j: " + setting + " "), err);
    }

    @org.junit.jupiter.api.Test
    void outOfHeapIsOneLineSayingHowToGiveMore(@TempDir Path tmp) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-Xmx48m", "-cp",
                System.getProperty("java.class.path"), "aclip4j.cli.Main", "train", "--model", "vit-s16", "--steps",
                "1", "--batch", "2", "--train-images", "4", "--eval-images", "2", "--out", tmp.resolve("r").toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(2, p.waitFor(), err);
        String last = err.lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("aclip4j: out of Java heap") && last.contains("-Xmx"), err);
        assertTrue(!err.contains("\tat "), "no stack trace: " + err);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void oneLineNamingTheProblemAndANonZeroExit(Case c) throws IOException {
        Path scratch = Files.createDirectories(dir.resolve(c.name().replaceAll("[^a-z0-9]+", "-")));
        Object[] r = EvalCommandTest.run(c.args().apply(scratch));
        String err = ((String) r[2]).strip();
        if (c.name().startsWith("golden of") || c.name().startsWith("golden missing")) {
            // goldens verify reports each bad case as a FAIL line of its report and exits 1
            String out = (String) r[1];
            assertEquals(1, (int) r[0], c + ": exit code; stdout " + out + " stderr " + err);
            assertTrue(out.lines().anyMatch(l -> l.startsWith("FAIL") && l.contains(c.expect())), c + ": " + out);
            assertTrue(!out.contains("Exception") && !out.contains("\tat ") && err.isEmpty(), c + ": " + out + err);
            return;
        }
        assertNotEquals(0, (int) r[0], c + ": exit code; stderr " + err);
        assertEquals(1, err.lines().count(), c + ": one line on stderr, got:\n" + err);
        assertTrue(err.startsWith("aclip4j: "), c + ": " + err);
        assertTrue(err.contains(c.expect()), c + ": the message names '" + c.expect() + "': " + err);
        assertTrue(!err.contains("Exception") && !err.contains("\tat "), c + ": no stack trace: " + err);
    }
}
