package aclip4j.optim;

import aclip4j.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiPredicate;

/**
 * AdamW over a model's named parameters (SPEC §8): the moments and the step count of each parameter, and one
 * update of every parameter that has a gradient. Like PyTorch, each parameter keeps its own step count, a
 * parameter without a gradient (frozen, e.g. the patch embedding) is skipped and its state left as it is, and the
 * moments start at zero on a parameter's first update. Weight decay follows {@link WeightDecayRule} unless another
 * rule is given.
 */
public final class AdamWOptimizer {
    /** The paper's betas and eps (SPEC §8). */
    public static final double BETA1 = 0.9;
    public static final double BETA2 = 0.98;
    public static final double EPS = 1e-8;

    /** One parameter's optimiser state: the 1-based count of updates done, {@code exp_avg}, {@code exp_avg_sq}. */
    public static final class Moments {
        private long step;
        private final float[] expAvg;
        private final float[] expAvgSq;
        private final int[] shape;

        Moments(int[] shape, long step, float[] expAvg, float[] expAvgSq) {
            this.shape = shape.clone();
            this.step = step;
            this.expAvg = expAvg;
            this.expAvgSq = expAvgSq;
        }

        public long step() {
            return step;
        }

        /** The first moment, same shape as the parameter (a view on the live state). */
        public Tensor expAvg() {
            return Tensor.f32(expAvg, shape);
        }

        /** The second moment, same shape as the parameter (a view on the live state). */
        public Tensor expAvgSq() {
            return Tensor.f32(expAvgSq, shape);
        }
    }

    private final AdamW adamW;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final BiPredicate<String, Integer> decays;
    private final Map<String, Moments> state = new LinkedHashMap<>();

    /** The paper's betas (0.9, 0.98) and eps 1e-8, decay by {@link WeightDecayRule}. */
    public AdamWOptimizer(AdamW adamW, double weightDecay) {
        this(adamW, BETA1, BETA2, EPS, weightDecay, WeightDecayRule::decays);
    }

    /**
     * @param decays given a parameter name and its rank, whether it receives {@code weightDecay}
     */
    public AdamWOptimizer(AdamW adamW, double beta1, double beta2, double eps, double weightDecay,
                          BiPredicate<String, Integer> decays) {
        AdamWScalars.of(0.0, beta1, beta2, eps, weightDecay, 1); // validates the hyper-parameters up front
        this.adamW = adamW;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decays = decays;
    }

    /**
     * One AdamW update at learning rate {@code lr} of every parameter in {@code params} that has a gradient in
     * {@code grads}, in place. Every gradient must name a parameter of the same shape, and all tensors must be F32;
     * nothing is updated unless all of them check out.
     */
    public void step(Map<String, Tensor> params, Map<String, Tensor> grads, double lr) {
        for (Map.Entry<String, Tensor> e : grads.entrySet()) {
            String name = e.getKey();
            Tensor p = params.get(name);
            if (p == null) {
                throw new IllegalArgumentException("gradient for '" + name + "' but no such parameter; parameters: "
                        + params.keySet());
            }
            Tensor g = e.getValue();
            if (!Arrays.equals(p.shape(), g.shape())) {
                throw new IllegalArgumentException("parameter '" + name + "' has shape " + Arrays.toString(p.shape())
                        + " but its gradient has shape " + Arrays.toString(g.shape()));
            }
            p.floats();
            g.floats();
            Moments m = state.get(name);
            if (m != null && !Arrays.equals(m.shape, p.shape())) {
                throw new IllegalArgumentException("parameter '" + name + "' has shape " + Arrays.toString(p.shape())
                        + " but its optimiser state has shape " + Arrays.toString(m.shape));
            }
        }
        AdamWScalars.of(lr, beta1, beta2, eps, weightDecay, 1); // refuses a bad lr before anything changes
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            String name = e.getKey();
            Tensor g = grads.get(name);
            if (g == null) {
                continue; // no gradient: frozen or unused this step, as PyTorch skips p.grad is None
            }
            Tensor p = e.getValue();
            int n = p.numel();
            Moments m = state.computeIfAbsent(name, k -> new Moments(p.shape(), 0, new float[n], new float[n]));
            m.step++;
            double wd = decays.test(name, p.rank()) ? weightDecay : 0.0;
            adamW.step(p.floats(), g.floats(), m.expAvg, m.expAvgSq,
                    AdamWScalars.of(lr, beta1, beta2, eps, wd, m.step));
        }
    }

    /** The state of parameter {@code name}, or null before its first update. */
    public Moments moments(String name) {
        return state.get(name);
    }

    /** Every parameter's state, by name, in first-update order (read-only view). */
    public Map<String, Moments> state() {
        return java.util.Collections.unmodifiableMap(state);
    }

    /**
     * Restores one parameter's state (from a checkpoint): {@code step} updates done, moments of the parameter's
     * shape. The arrays are copied.
     */
    public void restore(String name, long step, Tensor expAvg, Tensor expAvgSq) {
        if (step < 0) {
            throw new IllegalArgumentException("optimiser step " + step + " for '" + name + "', expected >= 0");
        }
        if (!Arrays.equals(expAvg.shape(), expAvgSq.shape())) {
            throw new IllegalArgumentException("'" + name + "': exp_avg shape " + Arrays.toString(expAvg.shape())
                    + " differs from exp_avg_sq shape " + Arrays.toString(expAvgSq.shape()));
        }
        state.put(name, new Moments(expAvg.shape(), step, expAvg.floats().clone(), expAvgSq.floats().clone()));
    }

    /** The weight decay this optimiser applies to parameter {@code name} of rank {@code rank}. */
    public double weightDecayOf(String name, int rank) {
        return decays.test(name, rank) ? weightDecay : 0.0;
    }
}
