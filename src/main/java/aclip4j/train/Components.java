package aclip4j.train;

import aclip4j.Backend;
import aclip4j.ema.EmaUpdate;
import aclip4j.ema.Nd4jEmaUpdate;
import aclip4j.ema.SimdEmaUpdate;
import aclip4j.kernel.Lanes;
import aclip4j.loss.ByolLoss;
import aclip4j.loss.ClipLoss;
import aclip4j.loss.Nd4jByolLoss;
import aclip4j.loss.Nd4jClipLoss;
import aclip4j.loss.Nd4jSimClrLoss;
import aclip4j.loss.Nd4jSimSiamLoss;
import aclip4j.loss.SimClrLoss;
import aclip4j.loss.SimSiamLoss;
import aclip4j.loss.SimdByolLoss;
import aclip4j.loss.SimdClipLoss;
import aclip4j.loss.SimdSimClrLoss;
import aclip4j.loss.SimdSimSiamLoss;
import aclip4j.mask.CellPooling;
import aclip4j.mask.Nd4jCellPooling;
import aclip4j.mask.Nd4jTokenSelector;
import aclip4j.mask.Nd4jViewScores;
import aclip4j.mask.SimdCellPooling;
import aclip4j.mask.SimdTokenSelector;
import aclip4j.mask.SimdViewScores;
import aclip4j.mask.TokenSelector;
import aclip4j.mask.ViewScores;
import aclip4j.optim.AdamW;
import aclip4j.optim.Nd4jAdamW;
import aclip4j.optim.SimdAdamW;
import aclip4j.tower.HeadsConfig;
import aclip4j.tower.Nd4jSslHead;
import aclip4j.tower.Nd4jTextTower;
import aclip4j.tower.Nd4jVisionTower;
import aclip4j.tower.SimdSslHead;
import aclip4j.tower.SimdTextTower;
import aclip4j.tower.SimdVisionTower;
import aclip4j.tower.SslHead;
import aclip4j.tower.TextConfig;
import aclip4j.tower.TextTower;
import aclip4j.tower.VisionConfig;
import aclip4j.tower.VisionTower;

/**
 * One backend's twin of every component a training step uses (one interface, two implementations).
 * The step code only sees the interfaces, so the SIMD and ND4J runs execute the same algorithm.
 *
 * @param vision    the online vision tower at the training resolution S
 * @param emaVision the EMA vision tower at the EMA view resolution Se (S, or S/2 for A-CLIP-eff)
 */
public record Components(Backend backend, VisionTower vision, VisionTower emaVision, TextTower text,
                         SslHead simclrHead, SslHead byolProjector, SslHead byolPredictor,
                         ClipLoss clipLoss, SimClrLoss simclrLoss, SimSiamLoss simsiamLoss, ByolLoss byolLoss,
                         ViewScores viewScores, CellPooling cellPooling, TokenSelector tokenSelector,
                         EmaUpdate emaUpdate, AdamW adamW) {

    public static Components of(Backend backend, VisionConfig v, int emaImageSize, TextConfig t, HeadsConfig h,
                                Lanes lanes) {
        VisionConfig ve = v.withImageSize(emaImageSize);
        if (backend == Backend.SIMD) {
            return new Components(backend, new SimdVisionTower(v, lanes), new SimdVisionTower(ve, lanes),
                    new SimdTextTower(t, lanes),
                    new SimdSslHead(SslHead.Kind.SIMCLR, h, lanes),
                    new SimdSslHead(SslHead.Kind.BYOL_PROJECTOR, h, lanes),
                    new SimdSslHead(SslHead.Kind.BYOL_PREDICTOR, h, lanes),
                    new SimdClipLoss(lanes), new SimdSimClrLoss(lanes), new SimdSimSiamLoss(lanes), new SimdByolLoss(lanes),
                    new SimdViewScores(lanes), new SimdCellPooling(lanes), new SimdTokenSelector(lanes),
                    new SimdEmaUpdate(lanes), new SimdAdamW(lanes));
        }
        return new Components(backend, new Nd4jVisionTower(v), new Nd4jVisionTower(ve), new Nd4jTextTower(t),
                new Nd4jSslHead(SslHead.Kind.SIMCLR, h),
                new Nd4jSslHead(SslHead.Kind.BYOL_PROJECTOR, h),
                new Nd4jSslHead(SslHead.Kind.BYOL_PREDICTOR, h),
                new Nd4jClipLoss(), new Nd4jSimClrLoss(), new Nd4jSimSiamLoss(), new Nd4jByolLoss(),
                new Nd4jViewScores(), new Nd4jCellPooling(), new Nd4jTokenSelector(),
                new Nd4jEmaUpdate(), new Nd4jAdamW());
    }
}
