package aclip4j.twins;

import aclip4j.Backend;
import aclip4j.ema.EmaUpdate;
import aclip4j.ema.SimdEmaUpdate;
import aclip4j.kernel.Lanes;
import aclip4j.loss.ByolLoss;
import aclip4j.loss.ClipLoss;
import aclip4j.loss.SimClrLoss;
import aclip4j.loss.SimSiamLoss;
import aclip4j.loss.SimdByolLoss;
import aclip4j.loss.SimdClipLoss;
import aclip4j.loss.SimdSimClrLoss;
import aclip4j.loss.SimdSimSiamLoss;
import aclip4j.mask.AttentionScore;
import aclip4j.mask.BilinearResize;
import aclip4j.mask.CellPooling;
import aclip4j.mask.SimdAttentionScore;
import aclip4j.mask.SimdBilinearResize;
import aclip4j.mask.SimdCellPooling;
import aclip4j.mask.SimdTokenSelector;
import aclip4j.mask.SimdViewScores;
import aclip4j.mask.TokenSelector;
import aclip4j.mask.ViewScores;
import aclip4j.optim.AdamW;
import aclip4j.optim.SimdAdamW;
import aclip4j.tower.HeadsConfig;
import aclip4j.tower.SimdSslHead;
import aclip4j.tower.SimdTextTower;
import aclip4j.tower.SimdVisionTower;
import aclip4j.tower.SslHead;
import aclip4j.tower.TextConfig;
import aclip4j.tower.TextTower;
import aclip4j.tower.VisionConfig;
import aclip4j.tower.VisionTower;

/** The plain-Java twins (JDK Vector API) at one vector width: the same bits at every width (SPEC §13). */
final class SimdTwins implements Twins {
    private final Lanes lanes;

    SimdTwins(Lanes lanes) {
        this.lanes = lanes;
    }

    @Override
    public Backend backend() {
        return Backend.SIMD;
    }

    @Override
    public VisionTower vision(VisionConfig cfg) {
        return new SimdVisionTower(cfg, lanes);
    }

    @Override
    public TextTower text(TextConfig cfg) {
        return new SimdTextTower(cfg, lanes);
    }

    @Override
    public SslHead sslHead(SslHead.Kind kind, HeadsConfig cfg) {
        return new SimdSslHead(kind, cfg, lanes);
    }

    @Override
    public ClipLoss clipLoss() {
        return new SimdClipLoss(lanes);
    }

    @Override
    public SimClrLoss simclrLoss() {
        return new SimdSimClrLoss(lanes);
    }

    @Override
    public SimSiamLoss simsiamLoss() {
        return new SimdSimSiamLoss(lanes);
    }

    @Override
    public ByolLoss byolLoss() {
        return new SimdByolLoss(lanes);
    }

    @Override
    public AttentionScore attentionScore() {
        return new SimdAttentionScore(lanes);
    }

    @Override
    public BilinearResize bilinearResize() {
        return new SimdBilinearResize(lanes);
    }

    @Override
    public ViewScores viewScores() {
        return new SimdViewScores(lanes);
    }

    @Override
    public CellPooling cellPooling() {
        return new SimdCellPooling(lanes);
    }

    @Override
    public TokenSelector tokenSelector() {
        return new SimdTokenSelector(lanes);
    }

    @Override
    public EmaUpdate emaUpdate() {
        return new SimdEmaUpdate(lanes);
    }

    @Override
    public AdamW adamW() {
        return new SimdAdamW(lanes);
    }
}
