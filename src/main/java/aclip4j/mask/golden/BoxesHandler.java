package aclip4j.mask.golden;

import aclip4j.Backend;
import aclip4j.golden.ComponentHandler;
import aclip4j.golden.GoldenCase;
import aclip4j.mask.Boxes;
import aclip4j.tensor.Tensor;
import java.util.Map;

/**
 * Golden {@code enclosing_box} (SPEC §4.3): inputs {@code view_boxes} I32 [B,V,4], {@code image_hw} I32 [B,2],
 * {@code u} F32 [B,4] (optional in minimal mode); param {@code mode} {@code random} or {@code minimal}; output
 * {@code ema_box} I32 [B,4]. Integer arithmetic with one implementation, so both backends run the same code.
 */
public final class BoxesHandler implements ComponentHandler {
    @Override
    public String component() {
        return "enclosing_box";
    }

    @Override
    public Map<String, Tensor> compute(GoldenCase golden, Backend backend) {
        Tensor views = golden.input("view_boxes").requireRank("in.view_boxes", 3);
        int b = views.dim(0);
        int v = views.dim(1);
        views.requireShape("in.view_boxes", b, v, 4);
        int[] imageHw = golden.input("image_hw").requireShape("in.image_hw", b, 2).ints();
        Boxes.Enclosing mode = Boxes.Enclosing.parse(golden.paramString("mode", "random"));
        float[] u = null;
        if (mode == Boxes.Enclosing.RANDOM || golden.hasInput("u")) {
            u = golden.input("u").requireShape("in.u", b, 4).floats();
        }
        int[] box = Boxes.enclosing(views.ints(), imageHw, u, b, v, mode);
        return Map.of("out.ema_box", Tensor.i32(box, b, 4));
    }
}
