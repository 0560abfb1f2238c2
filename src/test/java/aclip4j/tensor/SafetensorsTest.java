package aclip4j.tensor;

import aclip4j.golden.GoldenCase;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir
    Path dir;

    private static Map<String, Tensor> sample() {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("in.x", Tensor.f32(new float[] {1.5f, -2f, 3.25f, Float.MIN_VALUE, 7f, 0f}, 2, 3));
        t.put("in.idx", Tensor.i32(new int[] {0, -7, Integer.MAX_VALUE}, 3));
        t.put("out.m", Tensor.u8(new byte[] {0, 1, (byte) 255}, 3));
        t.put("out.d", Tensor.f64(new double[] {Math.PI}));
        return t;
    }

    @Test
    void roundTripKeepsEveryDtypeShapeAndValue() throws IOException {
        Path f = dir.resolve("a.safetensors");
        Safetensors.write(f, sample(), Map.of("format", "x", "params", "{\"a\": 1}"));
        Safetensors.Contents c = Safetensors.read(f);
        assertEquals(sample().keySet().stream().toList(), c.tensors().keySet().stream().toList());
        assertArrayEquals(sample().get("in.x").floats(), c.tensors().get("in.x").floats());
        assertArrayEquals(new int[] {2, 3}, c.tensors().get("in.x").shape());
        assertArrayEquals(sample().get("in.idx").ints(), c.tensors().get("in.idx").ints());
        assertArrayEquals(sample().get("out.m").bytes(), c.tensors().get("out.m").bytes());
        assertEquals(255.0, c.tensors().get("out.m").getDouble(2));
        assertEquals(Math.PI, c.tensors().get("out.d").doubles()[0]);
        assertEquals(0, c.tensors().get("out.d").rank());
        assertEquals("{\"a\": 1}", c.metadata().get("params"));
        // header length is a multiple of 8 so the data section is aligned
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8);
    }

    @Test
    void tensorsLargerThanTheWriteChunkRoundTripWithTheLayoutOfTheFormat() throws IOException {
        // the data streams through a 1 MB chunk: tensors across chunk boundaries, of every dtype, one empty
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        float[] f = new float[300_007];
        double[] d = new double[140_001];
        int[] i = new int[262_145];
        byte[] b = new byte[1_048_577];
        for (int k = 0; k < f.length; k++) {
            f[k] = (float) r.nextGaussian();
        }
        for (int k = 0; k < d.length; k++) {
            d[k] = r.nextGaussian();
        }
        for (int k = 0; k < i.length; k++) {
            i[k] = r.nextInt();
        }
        r.nextBytes(b);
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("f", Tensor.f32(f, 300_007));
        t.put("empty", Tensor.f32(new float[0], 0, 4));
        t.put("d", Tensor.f64(d, 140_001));
        t.put("i", Tensor.i32(i, 5, 52_429));
        t.put("b", Tensor.u8(b, 1_048_577));
        Path file = dir.resolve("big.safetensors");
        Safetensors.write(file, t, Map.of("step", "7"));
        Safetensors.Contents c = Safetensors.read(file);
        assertArrayEquals(f, c.tensors().get("f").floats());
        assertArrayEquals(d, c.tensors().get("d").doubles());
        assertArrayEquals(i, c.tensors().get("i").ints());
        assertArrayEquals(new int[] {5, 52_429}, c.tensors().get("i").shape());
        assertArrayEquals(b, c.tensors().get("b").bytes());
        assertEquals(0, c.tensors().get("empty").numel());
        assertEquals("7", c.metadata().get("step"));
        // the layout itself: header length, then the data in map order, little-endian, with no gaps
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        long data = 8 + all.getLong(0);
        assertEquals(data + 4L * f.length + 8L * d.length + 4L * i.length + b.length, Files.size(file));
        assertEquals(f[f.length - 1], all.getFloat((int) (data + 4L * (f.length - 1))));
        assertEquals(d[0], all.getDouble((int) (data + 4L * f.length)));
        assertEquals(i[262_144], all.getInt((int) (data + 4L * f.length + 8L * d.length + 4L * 262_144)));
        assertEquals(b[1_048_576], all.get((int) (data + 4L * f.length + 8L * d.length + 4L * i.length + 1_048_576)));
    }

    @Test
    void copyAtomicallyGivesTheSameBytesAndNoTemporaryFile() throws IOException {
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        Safetensors.write(a, sample(), Map.of("format", "x"));
        Files.write(b, new byte[] {1, 2, 3}); // replaced whole
        Safetensors.copyAtomically(a, b);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        try (var s = Files.list(dir)) {
            assertEquals(2, s.count());
        }
    }

    @Test
    void writingLeavesNoTemporaryFiles() throws IOException {
        Path f = dir.resolve("b.safetensors");
        Safetensors.write(f, sample(), Map.of());
        Safetensors.write(f, sample(), Map.of()); // overwrite
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count());
        }
    }

    /** Writes a file with a hand-made header and data, to build malformed cases. */
    private Path raw(String name, String header, int dataBytes, Long headerLengthOverride) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLengthOverride != null ? headerLengthOverride : h.length);
        b.put(h);
        Path f = dir.resolve(name);
        Files.write(f, b.array());
        return f;
    }

    private String errorOf(Path f) {
        IOException e = assertThrows(IOException.class, () -> Safetensors.read(f));
        assertTrue(e.getMessage().startsWith(f.toString()), "message names the file: " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void refusesTruncatedFile() throws IOException {
        Path good = dir.resolve("g.safetensors");
        Safetensors.write(good, sample(), Map.of());
        byte[] all = Files.readAllBytes(good);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(all, all.length - 3));
        assertTrue(errorOf(cut).contains("run past the end"), errorOf(cut));
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertTrue(errorOf(tiny).contains("truncated"));
    }

    @Test
    void refusesHeaderLengthBeyondFile() throws IOException {
        Path f = raw("h.safetensors", "{}", 0, 4096L);
        assertTrue(errorOf(f).contains("header length 4096"), errorOf(f));
    }

    @Test
    void refusesBadJson() throws IOException {
        Path f = raw("j.safetensors", "{\"a\": [1, 2", 0, null);
        assertTrue(errorOf(f).contains("not valid JSON"), errorOf(f));
    }

    @Test
    void refusesUnknownDtype() throws IOException {
        Path f = raw("d.safetensors", "{\"x\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, null);
        assertTrue(errorOf(f).contains("unknown dtype \"BF16\""), errorOf(f));
    }

    @Test
    void refusesOverlappingOffsets() throws IOException {
        Path f = raw("o.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, null);
        assertTrue(errorOf(f).contains("overlap"), errorOf(f));
    }

    @Test
    void refusesOverlapBehindAnEmptyTensor() throws IOException {
        // z is empty and sorts between x and y, so comparing neighbours alone would miss y overlapping x
        Path f = raw("e.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},"
                + "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 16, null);
        assertTrue(errorOf(f).contains("'x' and 'y' overlap"), errorOf(f));
    }

    @Test
    void refusesOffsetsPastTheEnd() throws IOException {
        Path f = raw("p.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, null);
        assertTrue(errorOf(f).contains("run past the end of the data"), errorOf(f));
    }

    @Test
    void refusesShapeTimesDtypeNotMatchingBytes() throws IOException {
        Path f = raw("s.safetensors", "{\"x\":{\"dtype\":\"F64\",\"shape\":[3],\"data_offsets\":[0,12]}}", 12, null);
        assertTrue(errorOf(f).contains("needs 24 bytes but data_offsets give 12"), errorOf(f));
    }

    @Test
    void goldenCaseRefusesWrongFormatAndOddNames() throws IOException {
        Path f = dir.resolve("c.safetensors");
        Safetensors.write(f, Map.of("in.x", Tensor.scalar(1f)), Map.of("format", "other", "version", "1"));
        IOException e = assertThrows(IOException.class, () -> GoldenCase.read(f));
        assertTrue(e.getMessage().contains("'format' is 'other'"), e.getMessage());
        Safetensors.write(f, Map.of("x", Tensor.scalar(1f)),
                Map.of("format", GoldenCase.FORMAT, "version", "1", "component", "ema_update"));
        e = assertThrows(IOException.class, () -> GoldenCase.read(f));
        assertTrue(e.getMessage().contains("neither 'in.' nor 'out.'"), e.getMessage());
    }
}
