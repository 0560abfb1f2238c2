package aclip4j.tower;

import aclip4j.tensor.Tensor;
import aclip4j.kernel.Attention;
import aclip4j.kernel.Gather;
import aclip4j.kernel.Gelu;
import aclip4j.kernel.Lanes;
import aclip4j.kernel.LayerNorm;
import aclip4j.kernel.Matmul;
import aclip4j.kernel.QuickGelu;
import aclip4j.kernel.Residual;
import java.util.Map;

/**
 * The pre-norm transformer block both towers share (SPEC §1.4 for the ViT, §2 for the text tower), forward and
 * hand-written backward, llm.c style:
 * {@code res2 = in + Proj(Attn(LN1(in)))}, {@code out = res2 + FC2(act(FC1(LN2(res2))))}. The towers differ only in
 * their parameter names, the LayerNorm eps (1e-6 vs 1e-5), the MLP activation (exact GELU vs QuickGELU) and the
 * causal mask of the text tower.
 *
 * <p>Every step is a kernel/ call at the given {@link Lanes}, the linear layers included, so {@code Lanes.SCALAR}
 * runs the block's scalar specification and a vector width gives the same bits once each kernel follows
 * docs/SPEC.md §13; the block adds no float arithmetic of its own.
 *
 * <p><b>Pooled rows.</b> Both towers read only one row per sample of their last block's output (the ViT its CLS
 * token, §1.6; the text tower its end-of-text position, §2). Given those rows ({@code pooled}, one index per
 * sample), a block runs LN1, QKV and attention on every row, as the other rows' keys and values feed the pooled
 * ones, and then the projection, the residual, LN2 and the MLP on the pooled rows alone: for every other row 9 of the last block's 12 D²
 * multiply-adds per token are left out (about 6 % of a ViT-S/16 pass). Every kernel
 * works row by row there, so the pooled rows' output has the bits of the full block's; in the backward pass the rows
 * left out carried a zero gradient, whose terms add nothing to any sum, so every gradient keeps its bits too (up to
 * the sign of an exact zero). {@code SimdBlockTest} checks both against the full block.
 */
final class SimdBlock {
    private SimdBlock() {}

    /** The MLP activation: exact-erf GELU (timm ViT) or QuickGELU {@code x·sigmoid(1.702x)} (CLIP text). */
    enum Act { GELU, QUICK_GELU }

    /** What distinguishes the two towers' blocks. */
    record Kind(Act act, boolean causal, float eps) {}

    /** One block's parameters, each checked against its configured shape. */
    static final class Params {
        final Weights.BlockNames names;
        final float[] ln1w, ln1b, qkvW, qkvB, projW, projB, ln2w, ln2b, fcW, fcB, fc2W, fc2B;

        Params(Map<String, Tensor> m, Map<String, int[]> shapes, Weights.BlockNames n) {
            names = n;
            ln1w = get(m, shapes, n.ln1w());
            ln1b = get(m, shapes, n.ln1b());
            qkvW = get(m, shapes, n.qkvW());
            qkvB = get(m, shapes, n.qkvB());
            projW = get(m, shapes, n.projW());
            projB = get(m, shapes, n.projB());
            ln2w = get(m, shapes, n.ln2w());
            ln2b = get(m, shapes, n.ln2b());
            fcW = get(m, shapes, n.fcW());
            fcB = get(m, shapes, n.fcB());
            fc2W = get(m, shapes, n.fc2W());
            fc2B = get(m, shapes, n.fc2B());
        }

        private static float[] get(Map<String, Tensor> m, Map<String, int[]> shapes, String name) {
            return Weights.require(m, name, shapes.get(name));
        }
    }

    /**
     * Saved activations of one block; shapes with BT = B*T, and R = BT rows after attention, or B with pooled rows.
     */
    static final class Saved {
        int[] pooled;                  // (B) the row each sample keeps after attention; null: every row
        float[] in;                    // (BT,D) block input
        float[] ln1, ln1Mean, ln1Rstd; // (BT,D), (BT), (BT)
        float[] qkv;                   // (BT,3D)
        float[] att;                   // (B,H,T,T) attention probabilities
        float[] atty;                  // (R,D) heads concatenated
        float[] res2;                  // (R,D) in + proj(atty)
        float[] ln2, ln2Mean, ln2Rstd;
        float[] fch, fchAct;           // (R,F)
        float[] out;                   // (R,D) res2 + fc2(act)
    }

    /**
     * in (B,T,D) → Saved with out (B,T,D); F is the MLP width. Every array of the result but {@code in} comes from
     * {@code pool} (a kernel writes each in full), and the two temporaries go back to it.
     */
    static Saved forward(Lanes lanes, ActivationPool pool, Kind kind, Params w, float[] in, int B, int T, int D, int H,
                         int F) {
        return forward(lanes, pool, kind, w, in, B, T, D, H, F, null);
    }

    /**
     * As {@link #forward(Lanes, ActivationPool, Kind, Params, float[], int, int, int, int, int)}, but after attention
     * only the rows {@code pooled[b]} of each sample b go on (null: all of them): {@code out} is then (B,D), those
     * rows of the full block's output (see the class comment).
     */
    static Saved forward(Lanes lanes, ActivationPool pool, Kind kind, Params w, float[] in, int B, int T, int D, int H,
                         int F, int[] pooled) {
        int BT = B * T;
        Saved a = new Saved();
        a.pooled = pooled == null ? null : pooled.clone();
        a.in = in;
        a.ln1 = pool.take(BT * D); a.ln1Mean = pool.take(BT); a.ln1Rstd = pool.take(BT);
        LayerNorm.layernormForward(lanes, a.ln1, a.ln1Mean, a.ln1Rstd, in, w.ln1w, w.ln1b, BT, D, kind.eps());
        a.qkv = pool.take(BT * 3 * D);
        Matmul.matmulForward(lanes, a.qkv, a.ln1, w.qkvW, w.qkvB, BT, D, 3 * D);
        a.att = pool.take(B * H * T * T);
        float[] atty = pool.take(BT * D);
        Attention.attentionForward(lanes, atty, a.att, a.qkv, B, T, D, H, kind.causal());
        float[] resIn = in;
        if (pooled != null) { // from here on the pooled rows alone (R = B)
            a.atty = pool.take(B * D);
            Gather.gatherForward(a.atty, atty, pooled, B, T, 1, D);
            pool.give(atty);
            resIn = pool.take(B * D);
            Gather.gatherForward(resIn, in, pooled, B, T, 1, D);
            BT = B;
        } else {
            a.atty = atty;
        }
        float[] proj = pool.take(BT * D);
        Matmul.matmulForward(lanes, proj, a.atty, w.projW, w.projB, BT, D, D);
        a.res2 = pool.take(BT * D);
        Residual.residualForward(lanes, a.res2, resIn, proj, BT * D);
        pool.give(proj, resIn == in ? null : resIn);
        a.ln2 = pool.take(BT * D); a.ln2Mean = pool.take(BT); a.ln2Rstd = pool.take(BT);
        LayerNorm.layernormForward(lanes, a.ln2, a.ln2Mean, a.ln2Rstd, a.res2, w.ln2w, w.ln2b, BT, D, kind.eps());
        a.fch = pool.take(BT * F);
        Matmul.matmulForward(lanes, a.fch, a.ln2, w.fcW, w.fcB, BT, D, F);
        a.fchAct = pool.take(BT * F);
        if (kind.act() == Act.GELU) {
            Gelu.geluForward(lanes, a.fchAct, a.fch, BT * F);
        } else {
            QuickGelu.quickGeluForward(lanes, a.fchAct, a.fch, BT * F);
        }
        float[] fc2 = pool.take(BT * D);
        Matmul.matmulForward(lanes, fc2, a.fchAct, w.fc2W, w.fc2B, BT, F, D);
        a.out = pool.take(BT * D);
        Residual.residualForward(lanes, a.out, a.res2, fc2, BT * D);
        pool.give(fc2);
        return a;
    }

    /**
     * Gives back every array of {@code a} the block took ({@code out} included, not {@code in}, which belongs to
     * whoever made it) and clears its fields: after this nothing may read the block's activations.
     */
    static void release(ActivationPool pool, Saved a) {
        pool.give(a.ln1, a.ln1Mean, a.ln1Rstd, a.qkv, a.att, a.atty, a.res2, a.ln2, a.ln2Mean, a.ln2Rstd, a.fch,
                a.fchAct, a.out);
        a.pooled = null;
        a.in = a.ln1 = a.ln1Mean = a.ln1Rstd = a.qkv = a.att = a.atty = a.res2 = null;
        a.ln2 = a.ln2Mean = a.ln2Rstd = a.fch = a.fchAct = a.out = null;
    }

    /**
     * dout (B,T,D) → din (B,T,D), taken from {@code pool}; adds every parameter's gradient into {@code g} under the
     * block's names. Its temporaries go back to the pool; {@code a} and {@code dout} stay the caller's. When the
     * forward kept pooled rows, dout is (B,D): the gradient of those rows, every other row's being zero.
     */
    static float[] backward(Lanes lanes, ActivationPool pool, Kind kind, Params w, Saved a, float[] dout,
                            Map<String, Tensor> g, int B, int T, int D, int H, int F) {
        int BT = a.pooled == null ? B * T : B; // rows after attention
        Weights.BlockNames n = w.names;
        float[] dres2 = pool.copy(dout); // the residual passes dout through; the MLP branch adds below
        float[] dact = pool.take(BT * F);
        Matmul.matmulBackwardSet(lanes, dact, g.get(n.fc2W()).floats(), g.get(n.fc2B()).floats(), dout, a.fchAct, w.fc2W,
                BT, F, D);
        float[] dfch = pool.zeros(BT * F);
        if (kind.act() == Act.GELU) {
            Gelu.geluBackward(lanes, dfch, a.fch, dact, BT * F);
        } else {
            QuickGelu.quickGeluBackward(lanes, dfch, a.fch, dact, BT * F);
        }
        float[] dln2 = pool.take(BT * D);
        Matmul.matmulBackwardSet(lanes, dln2, g.get(n.fcW()).floats(), g.get(n.fcB()).floats(), dfch, a.ln2, w.fcW,
                BT, D, F);
        pool.give(dact, dfch);
        LayerNorm.layernormBackward(lanes, dres2, g.get(n.ln2w()).floats(), g.get(n.ln2b()).floats(), dln2, a.res2,
                w.ln2w, a.ln2Mean, a.ln2Rstd, BT, D);
        float[] datty = pool.take(BT * D);
        Matmul.matmulBackwardSet(lanes, datty, g.get(n.projW()).floats(), g.get(n.projB()).floats(), dres2, a.atty,
                w.projW, BT, D, D);
        float[] din;
        if (a.pooled != null) { // back to every row: the pooled rows' gradients, zeros elsewhere
            BT = B * T;
            din = pool.zeros(BT * D);
            Gather.gatherBackward(lanes, din, dres2, a.pooled, B, T, 1, D);
            float[] pooledDatty = datty;
            datty = pool.zeros(BT * D);
            Gather.gatherBackward(lanes, datty, pooledDatty, a.pooled, B, T, 1, D);
            pool.give(pooledDatty);
        } else {
            din = pool.copy(dres2);
        }
        float[] dqkv = pool.zeros(BT * 3 * D);
        Attention.attentionBackward(lanes, dqkv, datty, a.qkv, a.att, B, T, D, H, kind.causal());
        float[] dln1 = pool.take(BT * D);
        Matmul.matmulBackwardSet(lanes, dln1, g.get(n.qkvW()).floats(), g.get(n.qkvB()).floats(), dqkv, a.ln1, w.qkvW,
                BT, D, 3 * D);
        LayerNorm.layernormBackward(lanes, din, g.get(n.ln1w()).floats(), g.get(n.ln1b()).floats(), dln1, a.in,
                w.ln1w, a.ln1Mean, a.ln1Rstd, BT, D);
        pool.give(dres2, dln2, datty, dqkv, dln1);
        return din;
    }
}
