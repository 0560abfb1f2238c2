package aclip4j.mask.golden;

import aclip4j.twins.Twins;
import aclip4j.Backend;
import aclip4j.golden.ComponentHandler;
import aclip4j.golden.GoldenCase;
import aclip4j.tensor.Tensor;
import aclip4j.mask.BilinearResize;
import java.util.Map;

/** Golden {@code resize_bilinear} (SPEC §5.1): {@code in.x [B,C,Hin,Win]}, {@code out_h, out_w} -> {@code out.y}. */
public final class ResizeBilinearHandler implements ComponentHandler {
    @Override
    public String component() {
        return "resize_bilinear";
    }

    @Override
    public Map<String, Tensor> compute(GoldenCase golden, Backend backend) {
        Tensor x = Inputs.floats(golden, "x", 4);
        int B = x.dim(0);
        int C = x.dim(1);
        int outH = golden.paramInt("out_h");
        int outW = golden.paramInt("out_w");
        BilinearResize impl = Twins.of(backend).bilinearResize();
        float[] y = impl.resize(x.toFloats(), B * C, x.dim(2), x.dim(3), outH, outW);
        return Map.of("out.y", Tensor.f32(y, B, C, outH, outW));
    }
}
