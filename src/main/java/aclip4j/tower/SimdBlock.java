package aclip4j.tower;

import aclip4j.tensor.Tensor;
import aclip4j.kernel.Attention;
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

    /** Saved activations of one block; shapes with BT = B*T. */
    static final class Saved {
        float[] in;                    // (BT,D) block input
        float[] ln1, ln1Mean, ln1Rstd; // (BT,D), (BT), (BT)
        float[] qkv;                   // (BT,3D)
        float[] att;                   // (B,H,T,T) attention probabilities
        float[] atty;                  // (BT,D) heads concatenated
        float[] res2;                  // (BT,D) in + proj(atty)
        float[] ln2, ln2Mean, ln2Rstd;
        float[] fch, fchAct;           // (BT,F)
        float[] out;                   // (BT,D) res2 + fc2(act)
    }

    /**
     * in (B,T,D) → Saved with out (B,T,D); F is the MLP width. Every array of the result but {@code in} comes from
     * {@code pool} (a kernel writes each in full), and the two temporaries go back to it.
     */
    static Saved forward(Lanes lanes, ActivationPool pool, Kind kind, Params w, float[] in, int B, int T, int D, int H,
                         int F) {
        int BT = B * T;
        Saved a = new Saved();
        a.in = in;
        a.ln1 = pool.take(BT * D); a.ln1Mean = pool.take(BT); a.ln1Rstd = pool.take(BT);
        LayerNorm.layernormForward(lanes, a.ln1, a.ln1Mean, a.ln1Rstd, in, w.ln1w, w.ln1b, BT, D, kind.eps());
        a.qkv = pool.take(BT * 3 * D);
        Matmul.matmulForward(lanes, a.qkv, a.ln1, w.qkvW, w.qkvB, BT, D, 3 * D);
        a.att = pool.take(B * H * T * T);
        a.atty = pool.take(BT * D);
        Attention.attentionForward(lanes, a.atty, a.att, a.qkv, B, T, D, H, kind.causal());
        float[] proj = pool.take(BT * D);
        Matmul.matmulForward(lanes, proj, a.atty, w.projW, w.projB, BT, D, D);
        a.res2 = pool.take(BT * D);
        Residual.residualForward(lanes, a.res2, in, proj, BT * D);
        pool.give(proj);
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
        a.in = a.ln1 = a.ln1Mean = a.ln1Rstd = a.qkv = a.att = a.atty = a.res2 = null;
        a.ln2 = a.ln2Mean = a.ln2Rstd = a.fch = a.fchAct = a.out = null;
    }

    /**
     * dout (B,T,D) → din (B,T,D), taken from {@code pool}; adds every parameter's gradient into {@code g} under the
     * block's names. Its temporaries go back to the pool; {@code a} and {@code dout} stay the caller's.
     */
    static float[] backward(Lanes lanes, ActivationPool pool, Kind kind, Params w, Saved a, float[] dout,
                            Map<String, Tensor> g, int B, int T, int D, int H, int F) {
        int BT = B * T;
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
        float[] din = pool.copy(dres2);
        float[] datty = pool.take(BT * D);
        Matmul.matmulBackwardSet(lanes, datty, g.get(n.projW()).floats(), g.get(n.projB()).floats(), dres2, a.atty,
                w.projW, BT, D, D);
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
