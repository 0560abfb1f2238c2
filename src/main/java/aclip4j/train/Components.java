package aclip4j.train;

import aclip4j.Backend;
import aclip4j.ema.EmaUpdate;
import aclip4j.kernel.Lanes;
import aclip4j.loss.ByolLoss;
import aclip4j.loss.ClipLoss;
import aclip4j.loss.SimClrLoss;
import aclip4j.loss.SimSiamLoss;
import aclip4j.mask.AttentionScore;
import aclip4j.mask.CellPooling;
import aclip4j.mask.TokenSelector;
import aclip4j.mask.ViewScores;
import aclip4j.optim.AdamW;
import aclip4j.tower.HeadsConfig;
import aclip4j.tower.SslHead;
import aclip4j.tower.TextConfig;
import aclip4j.tower.TextTower;
import aclip4j.tower.VisionConfig;
import aclip4j.tower.VisionTower;
import aclip4j.twins.Twins;

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
                         AttentionScore attentionScore, ViewScores viewScores, CellPooling cellPooling,
                         TokenSelector tokenSelector,
                         EmaUpdate emaUpdate, AdamW adamW) {

    public static Components of(Backend backend, VisionConfig v, int emaImageSize, TextConfig t, HeadsConfig h,
                                Lanes lanes) {
        Twins tw = Twins.of(backend, lanes);
        return new Components(backend, tw.vision(v), tw.vision(v.withImageSize(emaImageSize)), tw.text(t),
                tw.sslHead(SslHead.Kind.SIMCLR, h), tw.sslHead(SslHead.Kind.BYOL_PROJECTOR, h),
                tw.sslHead(SslHead.Kind.BYOL_PREDICTOR, h), tw.clipLoss(), tw.simclrLoss(), tw.simsiamLoss(),
                tw.byolLoss(), tw.attentionScore(), tw.viewScores(), tw.cellPooling(), tw.tokenSelector(), tw.emaUpdate(), tw.adamW());
    }
}
