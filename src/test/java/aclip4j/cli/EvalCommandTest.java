package aclip4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.viz.TinyRun;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code aclip4j eval} on a real (tiny) checkpoint: the JSON line, both backends, bad input. */
class EvalCommandTest {
    @TempDir
    Path dir;

    /** Runs the command line, returning [exit code, stdout, stderr]. */
    static Object[] run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Object[] {code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    static JsonObject lastJson(String stdout) {
        String[] lines = stdout.strip().split("\n");
        return JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
    }

    @Test
    void jsonLineHasEveryMetricAndBothBackendsAgree() {
        String ck = TinyRun.checkpoint(TinyRun.aclip()).toString();
        Object[] simd = run("eval", "--checkpoint", ck, "--images", "24", "--json", "--backend", "simd");
        assertEquals(0, simd[0], (String) simd[2]);
        JsonObject a = lastJson((String) simd[1]);
        for (String k : List.of("zero_shot_top1", "zero_shot_top5", "i2t_r1", "i2t_r5", "i2t_r10", "t2i_r1", "t2i_r5",
                "t2i_r10", "images", "towers")) {
            assertTrue(a.has(k), "missing " + k + " in " + a);
        }
        assertEquals(24, a.get("images").getAsInt());
        assertEquals("ema", a.get("towers").getAsString());
        for (String k : List.of("zero_shot_top1", "zero_shot_top5", "i2t_r1", "t2i_r10")) {
            double v = a.get(k).getAsDouble();
            assertTrue(v >= 0 && v <= 1, k + " = " + v);
        }
        Object[] nd4j = run("eval", "--checkpoint", ck, "--images", "24", "--json", "--backend", "nd4j");
        assertEquals(0, nd4j[0], (String) nd4j[2]);
        JsonObject b = lastJson((String) nd4j[1]);
        for (String k : List.of("zero_shot_top1", "zero_shot_top5", "i2t_r1", "i2t_r5", "i2t_r10", "t2i_r1", "t2i_r5",
                "t2i_r10")) {
            // the same checkpoint: at most one image or caption may swap ranks on a near-tie of float rounding
            double tolerance = 1.0 / 24 + 1e-9;
            assertEquals(a.get(k).getAsDouble(), b.get(k).getAsDouble(), tolerance, k);
        }
        Object[] online = run("eval", "--checkpoint", ck, "--images", "24", "--json", "--towers", "online");
        assertEquals("online", lastJson((String) online[1]).get("towers").getAsString());
    }

    @Test
    void refusesCorruptCheckpointAndBadOptions() throws Exception {
        Path bad = dir.resolve("bad.safetensors");
        Files.write(bad, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        Object[] r = run("eval", "--checkpoint", bad.toString());
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).contains(bad.toString()), (String) r[2]);
        r = run("eval", "--checkpoint", TinyRun.checkpoint(TinyRun.aclip()).toString(), "--towers", "both");
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).contains("expected ema or online"), (String) r[2]);
    }

    @Test
    void masksSeeTheImagesThroughTheRunsOwnSelection() {
        String ck = TinyRun.checkpoint(TinyRun.aclip()).toString();
        JsonObject none = null;
        for (String masks : List.of("none", "attentive", "random")) {
            Object[] r = run("eval", "--checkpoint", ck, "--images", "24", "--json", "--masks", masks);
            assertEquals(0, r[0], masks + ": " + r[2]);
            JsonObject o = lastJson((String) r[1]);
            assertEquals(24, o.get("images").getAsInt());
            if (none == null) {
                none = o;
            } else { // another view of the images: the retrieval ranks change
                assertTrue(!o.get("t2i_r10").equals(none.get("t2i_r10")) || !o.get("i2t_r10").equals(none.get("i2t_r10"))
                        || !o.get("zero_shot_top5").equals(none.get("zero_shot_top5")), masks + ": " + o + " vs " + none);
            }
        }
        Object[] bad = run("eval", "--checkpoint", TinyRun.checkpoint(TinyRun.clipRandom()).toString(), "--masks",
                "attentive");
        assertEquals(2, bad[0]);
        assertTrue(((String) bad[2]).contains("--masks attentive needs the EMA tower"), (String) bad[2]);
        Object[] odd = run("eval", "--checkpoint", ck, "--masks", "half");
        assertEquals(2, odd[0]);
        assertTrue(((String) odd[2]).contains("expected none, attentive or random"), (String) odd[2]);
    }
}
