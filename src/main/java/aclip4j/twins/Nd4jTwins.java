package aclip4j.twins;

import aclip4j.Backend;
import aclip4j.ema.EmaUpdate;
import aclip4j.ema.Nd4jEmaUpdate;
import aclip4j.loss.ByolLoss;
import aclip4j.loss.ClipLoss;
import aclip4j.loss.Nd4jByolLoss;
import aclip4j.loss.Nd4jClipLoss;
import aclip4j.loss.Nd4jSimClrLoss;
import aclip4j.loss.Nd4jSimSiamLoss;
import aclip4j.loss.SimClrLoss;
import aclip4j.loss.SimSiamLoss;
import aclip4j.mask.AttentionScore;
import aclip4j.mask.BilinearResize;
import aclip4j.mask.CellPooling;
import aclip4j.mask.Nd4jAttentionScore;
import aclip4j.mask.Nd4jBilinearResize;
import aclip4j.mask.Nd4jCellPooling;
import aclip4j.mask.Nd4jTokenSelector;
import aclip4j.mask.Nd4jViewScores;
import aclip4j.mask.TokenSelector;
import aclip4j.mask.ViewScores;
import aclip4j.optim.AdamW;
import aclip4j.optim.Nd4jAdamW;
import aclip4j.tower.HeadsConfig;
import aclip4j.tower.Nd4jSslHead;
import aclip4j.tower.Nd4jTextTower;
import aclip4j.tower.Nd4jVisionTower;
import aclip4j.tower.SslHead;
import aclip4j.tower.TextConfig;
import aclip4j.tower.TextTower;
import aclip4j.tower.VisionConfig;
import aclip4j.tower.VisionTower;

/** The ND4J twins (SameDiff graphs and ND4J ops; CPU, or CUDA with the {@code cuda} Maven profile). */
final class Nd4jTwins implements Twins {
    @Override
    public Backend backend() {
        return Backend.ND4J;
    }

    @Override
    public VisionTower vision(VisionConfig cfg) {
        return new Nd4jVisionTower(cfg);
    }

    @Override
    public TextTower text(TextConfig cfg) {
        return new Nd4jTextTower(cfg);
    }

    @Override
    public SslHead sslHead(SslHead.Kind kind, HeadsConfig cfg) {
        return new Nd4jSslHead(kind, cfg);
    }

    @Override
    public ClipLoss clipLoss() {
        return new Nd4jClipLoss();
    }

    @Override
    public SimClrLoss simclrLoss() {
        return new Nd4jSimClrLoss();
    }

    @Override
    public SimSiamLoss simsiamLoss() {
        return new Nd4jSimSiamLoss();
    }

    @Override
    public ByolLoss byolLoss() {
        return new Nd4jByolLoss();
    }

    @Override
    public AttentionScore attentionScore() {
        return new Nd4jAttentionScore();
    }

    @Override
    public BilinearResize bilinearResize() {
        return new Nd4jBilinearResize();
    }

    @Override
    public ViewScores viewScores() {
        return new Nd4jViewScores();
    }

    @Override
    public CellPooling cellPooling() {
        return new Nd4jCellPooling();
    }

    @Override
    public TokenSelector tokenSelector() {
        return new Nd4jTokenSelector();
    }

    @Override
    public EmaUpdate emaUpdate() {
        return new Nd4jEmaUpdate();
    }

    @Override
    public AdamW adamW() {
        return new Nd4jAdamW();
    }
}
