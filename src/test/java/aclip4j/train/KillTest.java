package aclip4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.tensor.Tensor;
import aclip4j.kernel.Parallel;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety by killing: a real {@code aclip4j train} process, a checkpoint at every step, is SIGKILLed again and
 * again — every other time at a random moment, otherwise the moment a checkpoint's temporary file appears, in the
 * middle of an atomic write — and resumed each time. After every kill each checkpoint on disk loads and
 * {@code metrics.jsonl} holds whole lines only (a torn last line at most); at the end the log has every step once
 * and the weights are the bits of a run that was never interrupted.
 */
class KillTest {
    static final int KILLS = 24, STEPS = 300;

    @TempDir
    Path dir;

    private static final String[] RUN = {"--variant", "aclip", "--steps", Integer.toString(STEPS), "--batch", "8",
            "--lr", "2e-3", "--warmup", "5", "--m0", "0.9", "--train-images", "64", "--eval-images", "8",
            "--checkpoint-every", "1", "--threads", "1", "--seed", "4"};

    private Process launch(Path run, boolean resume, Path log) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector",
                "-Daclip4j.simd.bits=" + System.getProperty("aclip4j.simd.bits", ""),
                "-cp", System.getProperty("java.class.path"), "aclip4j.cli.Main", "train"));
        if (resume) {
            cmd.addAll(List.of("--resume", run.toString()));
        } else {
            cmd.addAll(List.of(RUN));
            cmd.addAll(List.of("--out", run.toString()));
        }
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static long lines(Path metrics) throws IOException {
        return Files.exists(metrics) ? Files.readAllLines(metrics).size() : 0;
    }

    @Test
    void killedAtRandomMomentsEveryCheckpointLoadsAndResumingLosesNothing() throws Exception {
        Path run = dir.resolve("run"), metrics = run.resolve("metrics.jsonl"), log = dir.resolve("log.txt");
        SplittableRandom rng = new SplittableRandom(11);
        int kills = 0, duringWrite = 0, launches = 0;
        while (kills < KILLS) {
            boolean resume = Files.exists(run.resolve("config.json"));
            Process p = launch(run, resume, log);
            launches++;
            long before = lines(metrics), deadline = System.nanoTime() + 60_000_000_000L;
            // let it take at least one step, so kills land in training and checkpointing, not JVM start-up
            while (p.isAlive() && lines(metrics) <= before && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            if (!p.isAlive()) {
                break; // the run finished before the next kill
            }
            if (kills % 2 == 0) {
                Thread.sleep(rng.nextInt(1, 400)); // a random moment
            } else {
                // the moment a checkpoint's temporary file appears: a kill in the middle of an atomic write
                long until = System.nanoTime() + 3_000_000_000L;
                while (p.isAlive() && System.nanoTime() < until && !writing(run)) {
                    Thread.onSpinWait();
                }
            }
            p.destroyForcibly(); // SIGKILL
            p.waitFor();
            kills++;
            duringWrite += writing(run) ? 1 : 0;
            assertEverythingOnDiskReads(run);
        }
        Process p = launch(run, true, log);
        assertEquals(0, p.waitFor(), Files.readString(log));
        System.out.printf("KillTest: %d kills in %d launches, %d during an atomic write%n", kills, launches, duringWrite);
        assertTrue(kills >= 20, "killed " + kills + " times in " + launches + " launches; log: " + Files.readString(log));
        assertTrue(duringWrite >= 3, duringWrite + " of " + kills + " kills landed during an atomic write");
        assertEverythingOnDiskReads(run);

        List<Long> steps = new ArrayList<>();
        for (String line : Files.readAllLines(metrics)) {
            steps.add(JsonParser.parseString(line).getAsJsonObject().get("step").getAsLong());
        }
        List<Long> want = new ArrayList<>();
        for (long s = 1; s <= STEPS; s++) {
            want.add(s);
        }
        assertEquals(want, steps, "every step once, in order");

        Parallel.setThreads(1);
        Path straight = dir.resolve("straight");
        TrainConfig cfg = TrainerTest.config(RUN);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Trainer.start(cfg, straight, quiet).run(Long.MAX_VALUE);
        Map<String, Tensor> a = Checkpoint.load(Checkpoint.lastFile(straight)).tensors();
        Map<String, Tensor> b = Checkpoint.load(Checkpoint.lastFile(run)).tensors();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).floats(), b.get(k).floats(), k + ": killed and resumed " + kills
                    + " times, the same bits as never interrupted");
        }
    }

    private static boolean writing(Path run) {
        try (var files = Files.list(run)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".tmp"));
        } catch (IOException | java.io.UncheckedIOException e) {
            return false; // a file vanished while listing: look again
        }
    }

    private static void assertEverythingOnDiskReads(Path run) throws IOException {
        try (var files = Files.list(run)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (n.startsWith("checkpoint-") && n.endsWith(".safetensors")) {
                    Checkpoint.load(f); // throws on a torn or corrupt file
                }
            }
        }
        Path metrics = run.resolve("metrics.jsonl");
        if (Files.exists(metrics)) {
            List<String> lines = Files.readAllLines(metrics);
            for (int i = 0; i < lines.size() - 1; i++) {
                JsonParser.parseString(lines.get(i)).getAsJsonObject(); // only the last line may be torn
            }
        }
        if (Files.exists(run.resolve("config.json"))) {
            JsonParser.parseString(Files.readString(run.resolve("config.json"))).getAsJsonObject();
        }
    }
}
