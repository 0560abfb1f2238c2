package aclip4j.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import aclip4j.tensor.Tensor;
import aclip4j.kernel.Lanes;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AdamWOptimizerTest {
    private static final double WD = 0.2;

    private static float[] random(SplittableRandom rng, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return x;
    }

    private static Map<String, Tensor> model(SplittableRandom rng) {
        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put("blocks.0.mlp.fc1.weight", Tensor.f32(random(rng, 6), 2, 3));
        params.put("blocks.0.mlp.fc1.bias", Tensor.f32(random(rng, 2), 2));
        params.put("patch_embed.proj.weight", Tensor.f32(random(rng, 12), 1, 3, 2, 2));
        params.put("logit_scale", Tensor.f32(new float[] {2.6592f}));
        return params;
    }

    private static Map<String, Tensor> grads(SplittableRandom rng, Map<String, Tensor> params, String... names) {
        Map<String, Tensor> g = new LinkedHashMap<>();
        for (String name : names) {
            Tensor p = params.get(name);
            g.put(name, Tensor.f32(random(rng, p.numel()), p.shape()));
        }
        return g;
    }

    /** The optimiser must do, per tensor, exactly what direct AdamW calls with the grouped decay do. */
    @Test
    void matchesDirectCallsWithGroupedDecayAndPerParameterSteps() {
        SplittableRandom rng = new SplittableRandom(3);
        Map<String, Tensor> params = model(rng);
        Map<String, float[]> shadow = new LinkedHashMap<>();
        Map<String, float[][]> moments = new LinkedHashMap<>();
        params.forEach((k, v) -> {
            shadow.put(k, v.floats().clone());
            moments.put(k, new float[][] {new float[v.numel()], new float[v.numel()]});
        });
        float[] frozen = params.get("patch_embed.proj.weight").floats().clone();
        AdamW direct = new SimdAdamW(Lanes.SCALAR);
        AdamWOptimizer opt = new AdamWOptimizer(new SimdAdamW(Lanes.preferred()), WD);
        Map<String, Long> steps = new LinkedHashMap<>();
        double[] lrs = {1e-3, 5e-3, 2e-3, 1e-4};
        for (int s = 0; s < lrs.length; s++) {
            // logit_scale gets a gradient only on the last two steps; the patch embedding never (frozen)
            Map<String, Tensor> g = s < 2
                    ? grads(rng, params, "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc1.bias")
                    : grads(rng, params, "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc1.bias", "logit_scale");
            opt.step(params, g, lrs[s]);
            for (Map.Entry<String, Tensor> e : g.entrySet()) {
                String name = e.getKey();
                long step = steps.merge(name, 1L, Long::sum);
                double wd = name.equals("blocks.0.mlp.fc1.weight") ? WD : 0.0;
                float[][] mv = moments.get(name);
                direct.step(shadow.get(name), e.getValue().floats(), mv[0], mv[1], lrs[s], 0.9, 0.98, 1e-8, wd, step);
            }
        }
        for (String name : params.keySet()) {
            assertArrayEquals(shadow.get(name), params.get(name).floats(), name);
        }
        assertArrayEquals(frozen, params.get("patch_embed.proj.weight").floats());
        assertNull(opt.moments("patch_embed.proj.weight"));
        assertEquals(4, opt.moments("blocks.0.mlp.fc1.weight").step());
        assertEquals(2, opt.moments("logit_scale").step());
        assertArrayEquals(moments.get("blocks.0.mlp.fc1.bias")[1],
                opt.moments("blocks.0.mlp.fc1.bias").expAvgSq().floats());
        assertArrayEquals(new int[] {2, 3}, opt.moments("blocks.0.mlp.fc1.weight").expAvg().shape());
        assertEquals(WD, opt.weightDecayOf("blocks.0.mlp.fc1.weight", 2));
        assertEquals(0.0, opt.weightDecayOf("blocks.0.mlp.fc1.bias", 1));
    }

    @Test
    void restoredStateContinuesAsIfNeverInterrupted() {
        SplittableRandom rng = new SplittableRandom(11);
        Map<String, Tensor> c = model(rng);
        Map<String, Tensor> d = new LinkedHashMap<>();
        c.forEach((k, v) -> d.put(k, Tensor.f32(v.floats().clone(), v.shape())));
        Map<String, Tensor> g1 = grads(rng, c, "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc1.bias");
        Map<String, Tensor> g2 = grads(rng, c, "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc1.bias");

        AdamWOptimizer uninterrupted = new AdamWOptimizer(new Nd4jAdamW(), WD);
        uninterrupted.step(c, g1, 1e-2);
        uninterrupted.step(c, g2, 5e-3);

        AdamWOptimizer before = new AdamWOptimizer(new Nd4jAdamW(), WD);
        before.step(d, g1, 1e-2);
        AdamWOptimizer resumed = new AdamWOptimizer(new Nd4jAdamW(), WD);
        before.state().forEach((name, m) -> resumed.restore(name, m.step(), m.expAvg(), m.expAvgSq()));
        resumed.step(d, g2, 5e-3);

        for (String name : c.keySet()) {
            assertArrayEquals(c.get(name).floats(), d.get(name).floats(), name);
        }
        assertEquals(2, resumed.moments("blocks.0.mlp.fc1.weight").step());
    }

    @Test
    void refusesUnknownOrMisshapenGradientsBeforeChangingAnything() {
        SplittableRandom rng = new SplittableRandom(5);
        Map<String, Tensor> params = model(rng);
        float[] before = params.get("blocks.0.mlp.fc1.weight").floats().clone();
        AdamWOptimizer opt = new AdamWOptimizer(new SimdAdamW(), WD);
        Map<String, Tensor> g = grads(rng, params, "blocks.0.mlp.fc1.weight");
        g.put("no.such.weight", Tensor.f32(new float[1], 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> opt.step(params, g, 1e-3));
        assertTrue(e.getMessage().contains("no.such.weight"), e.getMessage());
        Map<String, Tensor> bad = grads(rng, params, "blocks.0.mlp.fc1.weight");
        bad.put("blocks.0.mlp.fc1.bias", Tensor.f32(new float[3], 3));
        e = assertThrows(IllegalArgumentException.class, () -> opt.step(params, bad, 1e-3));
        assertTrue(e.getMessage().contains("[3]") && e.getMessage().contains("[2]"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> opt.step(params, grads(rng, params, "blocks.0.mlp.fc1.weight"), -1.0));
        assertArrayEquals(before, params.get("blocks.0.mlp.fc1.weight").floats());
        assertNull(opt.moments("blocks.0.mlp.fc1.weight"));
    }
}
