package aclip4j.loss.golden;

import static aclip4j.loss.Float64Losses.gaussian;
import static aclip4j.loss.Float64Losses.gradient;
import static aclip4j.loss.Float64Losses.narrow;
import static aclip4j.loss.Float64Losses.widen;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.Backend;
import aclip4j.golden.Compare;
import aclip4j.golden.ComponentHandler;
import aclip4j.golden.GoldenCase;
import aclip4j.golden.Handlers;
import aclip4j.tensor.Tensor;
import aclip4j.golden.Verifier;
import aclip4j.loss.Float64Losses;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The four §6 loss handlers on in-memory golden cases whose expected outputs come from an independent float64
 * computation: the {@link Float64Losses} oracle for the values and its central finite differences for the
 * gradients, rounded to float32 as the reference generator does. Checked with the golden rule and default
 * tolerances (atol 1e-5, rtol 1e-4), on both backends, through the {@link Handlers} registry.
 */
class LossHandlersTest {
    private static ComponentHandler handler(String component) {
        ComponentHandler h = Handlers.all().get(component);
        assertTrue(h != null, component + " is registered");
        assertEquals(component, h.component());
        return h;
    }

    private static GoldenCase golden(String component, JsonObject params, Map<String, Tensor> tensors) {
        return new GoldenCase(Path.of("memory", component + ".safetensors"), component, params, Map.of(), "test", tensors);
    }

    /** Runs the case and checks every expected output under the case's tolerance, as the verifier does. */
    private static void verify(GoldenCase golden, Backend backend) {
        Map<String, Tensor> actual = handler(golden.component()).compute(golden, backend);
        for (Map.Entry<String, Tensor> e : golden.outputs().entrySet()) {
            Compare.Result r = Compare.compare(e.getValue(), actual.get(e.getKey()), golden.tolerance(e.getKey()));
            assertTrue(r.passed(), golden.component() + " [" + backend.label() + "] " + e.getKey() + ": " + r.describe());
        }
    }

    private static Tensor f32(double[] x, int... shape) {
        return Tensor.f32(narrow(x), shape);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void clipLoss(Backend backend, @TempDir Path tmp) {
        int V = 2, B = 3, E = 7;
        Random rnd = new Random(31);
        float[] image = gaussian(rnd, V * B * E);
        float[] text = gaussian(rnd, B * E);
        float t = (float) Math.log(1 / 0.07);
        double[] img = widen(image);
        double[] txt = widen(text);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("in.image_embed", Tensor.f32(image, V * B, E));
        tensors.put("in.text_embed", Tensor.f32(text, B, E));
        tensors.put("in.logit_scale", Tensor.scalar(t));
        tensors.put("out.loss", Tensor.scalar((float) Float64Losses.clip(img, txt, t, V, B, E)));
        tensors.put("out.loss_per_view", f32(Float64Losses.clipPerView(img, txt, t, V, B, E), V));
        tensors.put("out.grad_image_embed", f32(gradient(x -> Float64Losses.clip(x, txt, t, V, B, E), img, E), V * B, E));
        tensors.put("out.grad_text_embed", f32(gradient(x -> Float64Losses.clip(img, x, t, V, B, E), txt, E), B, E));
        tensors.put("out.grad_logit_scale",
                Tensor.scalar((float) Float64Losses.derivative(x -> Float64Losses.clip(img, txt, x, V, B, E), t)));
        GoldenCase golden = golden("clip_loss", new JsonObject(), tensors);
        verify(golden, backend);

        // the same case through a safetensors file and the verifier, as `goldens verify` runs it
        Path file = tmp.resolve("clip_loss/case.safetensors");
        try {
            java.nio.file.Files.createDirectories(file.getParent());
            golden.write(file);
            java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
            Verifier.Summary summary = new Verifier(Handlers.all(), new java.io.PrintStream(log, true))
                    .verify(tmp, List.of(backend), Set.of("clip_loss"));
            assertEquals(1, summary.passed(), log.toString());
            assertEquals(0, summary.failed(), log.toString());
        } catch (java.io.IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }

        // V*B must divide: drop one image row
        Map<String, Tensor> bad = new LinkedHashMap<>(tensors);
        bad.put("in.image_embed", Tensor.f32(java.util.Arrays.copyOf(image, (V * B - 1) * E), V * B - 1, E));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> handler("clip_loss").compute(golden("clip_loss", new JsonObject(), bad), backend));
        assertTrue(e.getMessage().contains("in.image_embed has 5 rows"), e.getMessage());
        bad.put("in.image_embed", Tensor.f32(image, V * B, E));
        bad.put("in.logit_scale", Tensor.f32(new float[] {1f, 2f}, 2));
        e = assertThrows(IllegalArgumentException.class,
                () -> handler("clip_loss").compute(golden("clip_loss", new JsonObject(), bad), backend));
        assertTrue(e.getMessage().contains("in.logit_scale"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void simclrLoss(Backend backend) {
        int B = 4, D = 9;
        Random rnd = new Random(32);
        float[] a = gaussian(rnd, B * D);
        float[] b = gaussian(rnd, B * D);
        double[] ad = widen(a);
        double[] bd = widen(b);
        double tau = 0.1;
        double tauF = (float) tau;
        for (boolean sameView : new boolean[] {false, true}) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("in.a", Tensor.f32(a, B, D));
            tensors.put("in.b", Tensor.f32(b, B, D));
            double[] gradA = sameView ? gradient(x -> Float64Losses.simclr(x, x, B, D, tauF), ad, D)
                    : gradient(x -> Float64Losses.simclr(x, bd, B, D, tauF), ad, D);
            double[] gradB = sameView ? new double[B * D] : gradient(x -> Float64Losses.simclr(ad, x, B, D, tauF), bd, D);
            tensors.put("out.loss", Tensor.scalar((float) Float64Losses.simclr(ad, sameView ? ad : bd, B, D, tauF)));
            tensors.put("out.grad_a", f32(gradA, B, D));
            tensors.put("out.grad_b", f32(gradB, B, D));
            JsonObject params = new JsonObject();
            params.addProperty("temperature", tau);
            if (sameView) {
                params.addProperty("same_view", true);
            }
            verify(golden("simclr_loss", params, tensors), backend);
        }
        Map<String, Tensor> noTemperature = Map.of("in.a", Tensor.f32(a, B, D), "in.b", Tensor.f32(b, B, D));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> handler("simclr_loss").compute(golden("simclr_loss", new JsonObject(), noTemperature), backend));
        assertTrue(e.getMessage().contains("temperature"), e.getMessage());
        Map<String, Tensor> wrongB = Map.of("in.a", Tensor.f32(a, B, D), "in.b", Tensor.f32(b, D, B));
        JsonObject params = new JsonObject();
        params.addProperty("temperature", tau);
        e = assertThrows(IllegalArgumentException.class,
                () -> handler("simclr_loss").compute(golden("simclr_loss", params, wrongB), backend));
        assertTrue(e.getMessage().contains("in.b has shape [9, 4], expected [4, 9]"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void simsiamLoss(Backend backend) {
        int B = 3, D = 17;
        Random rnd = new Random(33);
        double[] p1 = widen(gaussian(rnd, B * D));
        double[] p2 = widen(gaussian(rnd, B * D));
        double[] z1 = widen(gaussian(rnd, B * D));
        double[] z2 = widen(gaussian(rnd, B * D));
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("in.p1", f32(p1, B, D));
        tensors.put("in.p2", f32(p2, B, D));
        tensors.put("in.z1", f32(z1, B, D));
        tensors.put("in.z2", f32(z2, B, D));
        tensors.put("out.loss", Tensor.scalar((float) Float64Losses.simsiam(p1, p2, z1, z2, B, D)));
        tensors.put("out.grad_p1", f32(gradient(x -> Float64Losses.simsiam(x, p2, z1, z2, B, D), p1, D), B, D));
        tensors.put("out.grad_p2", f32(gradient(x -> Float64Losses.simsiam(p1, x, z1, z2, B, D), p2, D), B, D));
        verify(golden("simsiam_loss", new JsonObject(), tensors), backend);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void byolLoss(Backend backend) {
        int V = 3, B = 2, D = 5;
        Random rnd = new Random(34);
        double[] pred = widen(gaussian(rnd, V * B * D));
        double[] target = widen(gaussian(rnd, B * D));
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("in.pred", f32(pred, V * B, D));
        tensors.put("in.target", f32(target, B, D));
        tensors.put("out.loss", Tensor.scalar((float) Float64Losses.byol(pred, target, V, B, D)));
        tensors.put("out.grad_pred", f32(gradient(x -> Float64Losses.byol(x, target, V, B, D), pred, D), V * B, D));
        verify(golden("byol_loss", new JsonObject(), tensors), backend);

        Map<String, Tensor> bad = new LinkedHashMap<>(tensors);
        bad.put("in.pred", Tensor.f32(new float[7 * D], 7, D));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> handler("byol_loss").compute(golden("byol_loss", new JsonObject(), bad), backend));
        assertTrue(e.getMessage().contains("in.pred has 7 rows") && e.getMessage().contains("multiple of 2"),
                e.getMessage());
    }
}
