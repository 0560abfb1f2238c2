package aclip4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.train.Checkpoint;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A read-only or full output folder, on a real file system of that kind (a small tmpfs, mounted for the test; the
 * test is skipped where mounting is not allowed): training stops with one line naming the file and the system's
 * reason, exits non-zero, leaves no temporary file, and what was written before stays whole and resumable.
 */
class OutputFolderTest {
    @TempDir
    Path dir;

    private final List<Path> mounted = new ArrayList<>();

    private static final String[] TRAIN = {"train", "--variant", "clip", "--batch", "4", "--train-images", "16",
            "--eval-images", "4", "--checkpoint-every", "1"};

    private static String[] train(Path out, int steps) {
        List<String> a = new ArrayList<>(List.of(TRAIN));
        a.addAll(List.of("--steps", Integer.toString(steps), "--out", out.toString()));
        return a.toArray(new String[0]);
    }

    private static int sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", cmd));
        return p.exitValue();
    }

    /** A fresh tmpfs of {@code size} (as mount's size= option) at dir/name. */
    private Path tmpfs(String name, String size) throws IOException, InterruptedException {
        Path m = Files.createDirectories(dir.resolve(name));
        int rc = sh("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", m.toString());
        Assumptions.assumeTrue(rc == 0, "mounting a tmpfs needs root here");
        mounted.add(m);
        return m;
    }

    private void remount(Path m, String options) throws IOException, InterruptedException {
        assertEquals(0, sh("mount", "-o", "remount," + options, m.toString()), "remount " + options);
    }

    @AfterEach
    void unmount() throws IOException, InterruptedException {
        for (Path m : mounted) {
            sh("umount", "-l", m.toString());
        }
    }

    private static void assertOneLine(Object[] r, String... parts) {
        String err = ((String) r[2]).strip();
        assertEquals(2, (int) r[0], "exit code; stderr " + err);
        assertEquals(1, err.lines().count(), "one line on stderr, got:\n" + err);
        assertTrue(err.startsWith("aclip4j: ") && !err.contains("Exception") && !err.contains("\tat "), err);
        for (String p : parts) {
            assertTrue(err.contains(p), "the message names '" + p + "': " + err);
        }
    }

    private static List<Path> list(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.sorted().toList();
        }
    }

    private static void assertNoTemporaryFiles(Path d) throws IOException {
        for (Path p : list(d)) {
            assertTrue(!p.getFileName().toString().endsWith(".tmp"), "left behind: " + p);
        }
    }

    /** The steps of metrics.jsonl's rows, each line parsed as strict JSON. */
    private static List<Long> metricSteps(Path run) throws IOException {
        List<Long> steps = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"), StandardCharsets.UTF_8)) {
            JsonReader strict = new JsonReader(new StringReader(line));
            strict.setLenient(false);
            steps.add(JsonParser.parseReader(strict).getAsJsonObject().get("step").getAsLong());
        }
        return steps;
    }

    @Test
    void aReadOnlyFolderIsRefusedBeforeAnyWork() throws Exception {
        Path ro = tmpfs("ro", "1m");
        remount(ro, "ro");
        Path run = ro.resolve("run");
        assertOneLine(EvalCommandTest.run(train(run, 2)), "cannot create the output folder " + run,
                "Read-only file system");
        assertTrue(list(ro).isEmpty(), "nothing written");
    }

    @Test
    void resumingOnAReadOnlyFolderChangesNothing() throws Exception {
        Path m = tmpfs("resume-ro", "16m");
        Path run = m.resolve("run");
        assertEquals(0, (int) EvalCommandTest.run(train(run, 2))[0]);
        byte[] last = Files.readAllBytes(Checkpoint.lastFile(run));
        byte[] metrics = Files.readAllBytes(run.resolve("metrics.jsonl"));
        remount(m, "ro");
        Object[] r = EvalCommandTest.run("train", "--resume", run.toString(), "--steps", "3");
        assertOneLine(r, "cannot write " + run, "Read-only file system");
        assertArrayEquals(last, Files.readAllBytes(Checkpoint.lastFile(run)));
        assertArrayEquals(metrics, Files.readAllBytes(run.resolve("metrics.jsonl")));
    }

    @Test
    void aFullFolderStopsAtTheCheckpointThatDoesNotFitAndTheRunResumesOnceThereIsRoom() throws Exception {
        // a tiny checkpoint is 2.7 MB: 6 MB hold checkpoint-1 and checkpoint-last, not a third file
        Path m = tmpfs("full", "6m");
        Path run = m.resolve("run");
        Object[] r = EvalCommandTest.run(train(run, 3));
        assertOneLine(r, "cannot write " + Checkpoint.stepFile(run, 2), "No space left on device");
        assertNoTemporaryFiles(run);
        assertEquals(1, Checkpoint.load(Checkpoint.stepFile(run, 1)).step());
        assertEquals(1, Checkpoint.load(Checkpoint.lastFile(run)).step(), "checkpoint-last is the last good one");
        JsonReader strict = new JsonReader(Files.newBufferedReader(run.resolve("config.json")));
        strict.setLenient(false);
        assertTrue(JsonParser.parseReader(strict).isJsonObject());

        remount(m, "size=64m");
        Object[] resumed = EvalCommandTest.run("train", "--resume", run.toString());
        assertEquals(0, (int) resumed[0], (String) resumed[2]);
        assertEquals(3, Checkpoint.load(Checkpoint.lastFile(run)).step());
        assertEquals(List.of(1L, 2L, 3L), metricSteps(run), "no torn line, no step twice");
        assertNoTemporaryFiles(run);
    }
}
