package aclip4j.loss;

import aclip4j.Backend;
import aclip4j.kernel.Lanes;

/** The twin of each §6 loss for a backend (SIMD at a given lane width). */
final class Twins {
    private Twins() {}

    static ClipLoss clip(Backend backend, Lanes lanes) {
        return backend == Backend.SIMD ? new SimdClipLoss(lanes) : new Nd4jClipLoss();
    }

    static SimClrLoss simclr(Backend backend, Lanes lanes) {
        return backend == Backend.SIMD ? new SimdSimClrLoss(lanes) : new Nd4jSimClrLoss();
    }

    static SimSiamLoss simsiam(Backend backend, Lanes lanes) {
        return backend == Backend.SIMD ? new SimdSimSiamLoss(lanes) : new Nd4jSimSiamLoss();
    }

    static ByolLoss byol(Backend backend, Lanes lanes) {
        return backend == Backend.SIMD ? new SimdByolLoss(lanes) : new Nd4jByolLoss();
    }
}
