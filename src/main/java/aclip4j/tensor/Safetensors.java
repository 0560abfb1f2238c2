package aclip4j.tensor;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors file format: an 8-byte little-endian header length, a JSON header mapping each tensor name to
 * {@code {"dtype", "shape", "data_offsets": [begin, end]}} (plus an optional {@code __metadata__} object of
 * strings), then the raw little-endian data. Readers refuse malformed files with a one-line message naming the
 * file and the problem; writers write to a temporary file and rename it, so a crash never leaves a torn file.
 */
public final class Safetensors {
    /** Guard against absurd header lengths before allocating (the format's own limit is 100 MB). */
    private static final long MAX_HEADER = 100L * 1024 * 1024;

    private Safetensors() {}

    /** A file's tensors, in header order, and its metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    /** Thrown for a file that is not valid safetensors; the message names the file and the problem. */
    public static final class FormatException extends IOException {
        public FormatException(Path file, String problem) {
            super(file + ": " + problem);
        }
    }

    /**
     * Reads a whole file. The data is read tensor by tensor, so no buffer the size of the file is ever held (a
     * checkpoint of a large model may exceed 2 GiB; one tensor may not).
     */
    public static Contents read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(file, ch);
        }
    }

    private static Contents read(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new FormatException(file, "truncated: " + size + " bytes, shorter than the 8-byte header length");
        }
        long headerLength = readAt(file, ch, 0, 8).getLong(0);
        if (headerLength < 2 || headerLength > MAX_HEADER) {
            throw new FormatException(file, "header length " + headerLength + " is not plausible");
        }
        if (8 + headerLength > size) {
            throw new FormatException(file,
                    "header length " + headerLength + " runs past the end of the file (" + size + " bytes)");
        }
        byte[] headerBytes = new byte[(int) headerLength];
        readAt(file, ch, 8, (int) headerLength).get(headerBytes);
        JsonObject header;
        try {
            JsonElement parsed = JsonParser.parseString(new String(headerBytes, StandardCharsets.UTF_8).trim());
            if (!parsed.isJsonObject()) {
                throw new FormatException(file, "header is not a JSON object");
            }
            header = parsed.getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new FormatException(file, "header is not valid JSON (" + oneLine(e.getMessage()) + ")");
        }
        long dataStart = 8 + headerLength;
        long dataLength = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();
        List<String> rangeNames = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            String name = e.getKey();
            if (name.equals("__metadata__")) {
                if (!e.getValue().isJsonObject()) {
                    throw new FormatException(file, "__metadata__ is not a JSON object");
                }
                for (Map.Entry<String, JsonElement> m : e.getValue().getAsJsonObject().entrySet()) {
                    if (!m.getValue().isJsonPrimitive() || !m.getValue().getAsJsonPrimitive().isString()) {
                        throw new FormatException(file, "metadata value '" + m.getKey() + "' is not a string");
                    }
                    metadata.put(m.getKey(), m.getValue().getAsString());
                }
                continue;
            }
            if (!e.getValue().isJsonObject()) {
                throw new FormatException(file, "tensor '" + name + "': entry is not a JSON object");
            }
            JsonObject t = e.getValue().getAsJsonObject();
            DType dtype;
            int[] shape;
            long begin;
            long end;
            try {
                dtype = DType.parse(t.get("dtype").getAsString());
            } catch (RuntimeException ex) {
                throw new FormatException(file, "tensor '" + name + "': "
                        + (t.has("dtype") ? "unknown dtype " + t.get("dtype") + ", expected F32, F64, I32 or U8"
                                : "no dtype"));
            }
            try {
                var shapeArray = t.getAsJsonArray("shape");
                shape = new int[shapeArray.size()];
                for (int i = 0; i < shape.length; i++) {
                    long d = shapeArray.get(i).getAsLong();
                    if (d < 0 || d > Integer.MAX_VALUE) {
                        throw new IllegalArgumentException("dimension " + d);
                    }
                    shape[i] = (int) d;
                }
                var offsets = t.getAsJsonArray("data_offsets");
                if (offsets.size() != 2) {
                    throw new IllegalArgumentException("data_offsets has " + offsets.size() + " entries");
                }
                begin = offsets.get(0).getAsLong();
                end = offsets.get(1).getAsLong();
            } catch (RuntimeException ex) {
                throw new FormatException(file, "tensor '" + name + "': bad shape or data_offsets ("
                        + oneLine(ex.getMessage()) + ")");
            }
            if (begin < 0 || end < begin) {
                throw new FormatException(file, "tensor '" + name + "': data_offsets [" + begin + ", " + end
                        + "] are not an ascending pair");
            }
            if (end > dataLength) {
                throw new FormatException(file, "tensor '" + name + "': data_offsets [" + begin + ", " + end
                        + "] run past the end of the data (" + dataLength + " bytes; file truncated?)");
            }
            long expectedBytes = Tensor.numel(shape) * dtype.bytes;
            if (end - begin != expectedBytes) {
                throw new FormatException(file, "tensor '" + name + "': shape " + Arrays.toString(shape) + " x "
                        + dtype + " needs " + expectedBytes + " bytes but data_offsets give " + (end - begin));
            }
            if (expectedBytes > Integer.MAX_VALUE - 8) {
                throw new FormatException(file, "tensor '" + name + "' of " + expectedBytes
                        + " bytes is larger than a Java array");
            }
            ranges.add(new long[] {begin, end});
            rangeNames.add(name);
            tensors.put(name, decode(readAt(file, ch, dataStart + begin, (int) expectedBytes), dtype, shape));
        }
        checkNoOverlap(file, ranges, rangeNames);
        return new Contents(tensors, metadata);
    }

    /** {@code length} bytes of the file from {@code position}, little-endian, positioned at 0. */
    private static ByteBuffer readAt(Path file, FileChannel ch, long position, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) {
                throw new FormatException(file, "truncated: ended at byte " + (position + b.position()));
            }
        }
        return b.flip();
    }

    private static void checkNoOverlap(Path file, List<long[]> ranges, List<String> names) throws FormatException {
        Integer[] order = new Integer[ranges.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compare(ranges.get(a)[0], ranges.get(b)[0]));
        int reach = -1; // the non-empty range with the furthest end so far (empty tensors occupy no bytes)
        for (int i : order) {
            long[] cur = ranges.get(i);
            if (cur[1] == cur[0]) {
                continue;
            }
            if (reach >= 0 && cur[0] < ranges.get(reach)[1]) {
                throw new FormatException(file, "tensors '" + names.get(reach) + "' and '" + names.get(i)
                        + "' overlap in the data section");
            }
            if (reach < 0 || cur[1] > ranges.get(reach)[1]) {
                reach = i;
            }
        }
    }

    private static Tensor decode(ByteBuffer b, DType dtype, int[] shape) {
        int n = (int) Tensor.numel(shape);
        switch (dtype) {
            case F32: {
                float[] d = new float[n];
                b.asFloatBuffer().get(d);
                return Tensor.f32(d, shape);
            }
            case F64: {
                double[] d = new double[n];
                b.asDoubleBuffer().get(d);
                return Tensor.f64(d, shape);
            }
            case I32: {
                int[] d = new int[n];
                b.asIntBuffer().get(d);
                return Tensor.i32(d, shape);
            }
            case U8: {
                byte[] d = new byte[n];
                b.get(d);
                return Tensor.u8(d, shape);
            }
            default:
                throw new AssertionError(dtype);
        }
    }

    /** Bytes of the data section a chunked write fills before handing them to the file. */
    private static final int CHUNK = 1 << 20;

    /**
     * The 8-byte header length, the JSON header (tensors in map order) and its padding: everything before the data.
     */
    private static byte[] header(Map<String, Tensor> tensors, Map<String, String> metadata) {
        JsonObject header = new JsonObject();
        if (metadata != null && !metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add("__metadata__", meta);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            JsonObject entry = new JsonObject();
            entry.addProperty("dtype", t.dtype().name());
            var shape = new com.google.gson.JsonArray();
            for (int d : t.shape()) {
                shape.add(d);
            }
            entry.add("shape", shape);
            var offsets = new com.google.gson.JsonArray();
            long bytes = (long) t.numel() * t.dtype().bytes;
            offsets.add(offset);
            offsets.add(offset + bytes);
            entry.add("data_offsets", offsets);
            header.add(e.getKey(), entry);
            offset += bytes;
        }
        Gson gson = new GsonBuilder().disableHtmlEscaping().create();
        byte[] json = gson.toJson(header).getBytes(StandardCharsets.UTF_8);
        int pad = (8 - json.length % 8) % 8; // align the data section to 8 bytes, padding the JSON with spaces
        ByteBuffer out = ByteBuffer.allocate(8 + json.length + pad).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(json.length + pad);
        out.put(json);
        for (int i = 0; i < pad; i++) {
            out.put((byte) ' ');
        }
        return out.array();
    }

    /** The data section, tensor after tensor in map order, through one chunk of {@link #CHUNK} bytes. */
    private static void writeData(OutputStream os, Map<String, Tensor> tensors) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (Tensor t : tensors.values()) {
            int n = t.numel();
            int per = CHUNK / t.dtype().bytes;
            for (int i = 0; i < n; i += per) {
                int m = Math.min(per, n - i);
                chunk.clear();
                switch (t.dtype()) {
                    case F32 -> chunk.asFloatBuffer().put(t.floats(), i, m);
                    case F64 -> chunk.asDoubleBuffer().put(t.doubles(), i, m);
                    case I32 -> chunk.asIntBuffer().put(t.ints(), i, m);
                    case U8 -> chunk.put(t.bytes(), i, m);
                    default -> throw new AssertionError(t.dtype());
                }
                os.write(chunk.array(), 0, m * t.dtype().bytes);
            }
        }
    }

    /**
     * Writes atomically: to a temporary file beside {@code file}, forced to disk, then renamed over it. The data
     * streams to the file in chunks, never through a buffer of the file's size (a checkpoint of a model in training
     * is written while the heap holds the model and its activations).
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        byte[] header = header(tensors, metadata);
        writeAtomically(file, os -> {
            os.write(header);
            writeData(os, tensors);
        });
    }

    /** Copies {@code from} onto {@code to} atomically (a temporary file beside {@code to}, renamed over it). */
    public static void copyAtomically(Path from, Path to) throws IOException {
        writeAtomically(to, os -> Files.copy(from, os));
    }

    /** What a write puts into the temporary file. */
    @FunctionalInterface
    private interface Body {
        void writeTo(OutputStream os) throws IOException;
    }

    /**
     * Writes bytes to a sibling temporary file, syncs it, and renames it onto {@code file}. A failure (a read-only
     * or full file system, say) leaves any earlier {@code file} as it was, removes the temporary file, and throws an
     * IOException whose message names {@code file} and the system's reason.
     */
    public static void writeAtomically(Path file, byte[] bytes) throws IOException {
        writeAtomically(file, os -> os.write(bytes));
    }

    private static void writeAtomically(Path file, Body body) throws IOException {
        Path abs = file.toAbsolutePath();
        try {
            writeAtomicallyOrThrow(abs, body);
        } catch (IOException e) {
            throw new IOException("cannot write " + abs + ": " + reason(e), e);
        }
    }

    /** The system's reason for a failed file operation ("No space left on device"), without repeating the path. */
    public static String reason(IOException e) {
        if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static void writeAtomicallyOrThrow(Path abs, Body body) throws IOException {
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
        try {
            try { // createTempFile makes the file owner-only; a checkpoint or golden is ordinary data
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException notPosix) {
                // keep the default permissions
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream os = java.nio.channels.Channels.newOutputStream(ch)) {
                body.writeTo(os);
                os.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    // A parser's message on one line, without the exception class it wraps or the parser's help link.
    private static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        s = s.replaceFirst("^[\\w.]+(Exception|Error): ", "");
        int see = s.indexOf("See https://");
        if (see > 0) {
            s = s.substring(0, see);
        }
        return s.replace('\n', ' ').replace('\r', ' ').strip();
    }
}
