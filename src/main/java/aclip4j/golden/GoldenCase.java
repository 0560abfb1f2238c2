package aclip4j.golden;

import aclip4j.tensor.Safetensors;
import aclip4j.tensor.Tensor;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One golden case (goldens/README.md): a safetensors file whose tensors are named {@code in.*} (inputs) and
 * {@code out.*} (expected outputs), with {@code format}, {@code version}, {@code component}, {@code params},
 * {@code tolerance} and {@code generator} in its metadata.
 */
public final class GoldenCase {
    public static final String FORMAT = "aclip4j-golden";
    public static final String VERSION = "1";
    public static final double DEFAULT_ATOL = 1e-5;
    public static final double DEFAULT_RTOL = 1e-4;

    /** Per-output tolerance: an element passes when {@code |a - r| <= atol + rtol * |r|}. */
    public record Tolerance(double atol, double rtol) {}

    private final Path file;
    private final String component;
    private final JsonObject params;
    private final Map<String, Tolerance> tolerance;
    private final String generator;
    private final Map<String, Tensor> tensors;

    public GoldenCase(Path file, String component, JsonObject params, Map<String, Tolerance> tolerance,
                      String generator, Map<String, Tensor> tensors) {
        this.file = file;
        this.component = component;
        this.params = params;
        this.tolerance = tolerance;
        this.generator = generator;
        this.tensors = tensors;
    }

    /** Reads and validates a case; any problem is an IOException naming the file. */
    public static GoldenCase read(Path file) throws IOException {
        Safetensors.Contents c = Safetensors.read(file);
        Map<String, String> meta = c.metadata();
        String format = meta.get("format");
        if (!FORMAT.equals(format)) {
            throw new Safetensors.FormatException(file, "metadata 'format' is " + quote(format)
                    + ", expected '" + FORMAT + "'");
        }
        if (!VERSION.equals(meta.get("version"))) {
            throw new Safetensors.FormatException(file, "metadata 'version' is " + quote(meta.get("version"))
                    + ", expected '" + VERSION + "'");
        }
        String component = meta.get("component");
        if (component == null || component.isBlank()) {
            throw new Safetensors.FormatException(file, "metadata has no 'component'");
        }
        JsonObject params = parseObject(file, "params", meta.getOrDefault("params", "{}"));
        JsonObject tol = parseObject(file, "tolerance", meta.getOrDefault("tolerance", "{}"));
        Map<String, Tolerance> tolerance = new TreeMap<>();
        for (Map.Entry<String, JsonElement> e : tol.entrySet()) {
            try {
                JsonObject t = e.getValue().getAsJsonObject();
                double atol = t.has("atol") ? t.get("atol").getAsDouble() : DEFAULT_ATOL;
                double rtol = t.has("rtol") ? t.get("rtol").getAsDouble() : DEFAULT_RTOL;
                tolerance.put(e.getKey(), new Tolerance(atol, rtol));
            } catch (RuntimeException ex) {
                throw new Safetensors.FormatException(file, "tolerance entry '" + e.getKey()
                        + "' is not {\"atol\": x, \"rtol\": y}");
            }
        }
        for (String name : c.tensors().keySet()) {
            if (!name.startsWith("in.") && !name.startsWith("out.")) {
                throw new Safetensors.FormatException(file, "tensor '" + name + "' starts with neither 'in.' nor 'out.'");
            }
        }
        return new GoldenCase(file, component, params, tolerance, meta.getOrDefault("generator", ""), c.tensors());
    }

    /** Writes this case atomically in the golden format. */
    public void write(Path target) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("version", VERSION);
        meta.put("component", component);
        meta.put("params", params.toString());
        JsonObject tol = new JsonObject();
        tolerance.forEach((k, v) -> {
            JsonObject t = new JsonObject();
            t.addProperty("atol", v.atol());
            t.addProperty("rtol", v.rtol());
            tol.add(k, t);
        });
        meta.put("tolerance", tol.toString());
        meta.put("generator", generator);
        Safetensors.write(target, tensors, meta);
    }

    private static JsonObject parseObject(Path file, String key, String json) throws IOException {
        try {
            JsonElement e = JsonParser.parseString(json);
            if (!e.isJsonObject()) {
                throw new IllegalStateException("not an object");
            }
            return e.getAsJsonObject();
        } catch (RuntimeException ex) {
            throw new Safetensors.FormatException(file, "metadata '" + key + "' is not a JSON object: " + json);
        }
    }

    private static String quote(String s) {
        return s == null ? "missing" : "'" + s + "'";
    }

    public Path file() {
        return file;
    }

    public String component() {
        return component;
    }

    public JsonObject params() {
        return params;
    }

    public String generator() {
        return generator;
    }

    /** All tensors by full name ({@code in.x}, {@code out.y}). */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The expected outputs, by full name ({@code out.*}), in file order. */
    public Map<String, Tensor> outputs() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> {
            if (k.startsWith("out.")) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** The tolerance for an output ({@code out.<name>}), or the default. */
    public Tolerance tolerance(String outputName) {
        return tolerance.getOrDefault(outputName, new Tolerance(DEFAULT_ATOL, DEFAULT_RTOL));
    }

    public boolean hasInput(String name) {
        return tensors.containsKey("in." + name);
    }

    /** Input {@code in.<name>}; a missing one is an error naming the case. */
    public Tensor input(String name) {
        Tensor t = tensors.get("in." + name);
        if (t == null) {
            throw new IllegalArgumentException(file + ": missing input tensor 'in." + name + "'");
        }
        return t;
    }

    public boolean hasParam(String name) {
        return params.has(name) && !params.get(name).isJsonNull();
    }

    public int paramInt(String name) {
        return param(name).getAsInt();
    }

    public double paramDouble(String name) {
        return param(name).getAsDouble();
    }

    public String paramString(String name) {
        return param(name).getAsString();
    }

    public boolean paramBool(String name) {
        return param(name).getAsBoolean();
    }

    public int paramInt(String name, int fallback) {
        return hasParam(name) ? paramInt(name) : fallback;
    }

    public double paramDouble(String name, double fallback) {
        return hasParam(name) ? paramDouble(name) : fallback;
    }

    public String paramString(String name, String fallback) {
        return hasParam(name) ? paramString(name) : fallback;
    }

    public boolean paramBool(String name, boolean fallback) {
        return hasParam(name) ? paramBool(name) : fallback;
    }

    private JsonElement param(String name) {
        JsonElement e = params.get(name);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException(file + ": missing parameter '" + name + "' in params " + params);
        }
        return e;
    }
}
