package aclip4j.twins;

import aclip4j.Backend;
import aclip4j.ema.EmaUpdate;
import aclip4j.kernel.Lanes;
import aclip4j.loss.ByolLoss;
import aclip4j.loss.ClipLoss;
import aclip4j.loss.SimClrLoss;
import aclip4j.loss.SimSiamLoss;
import aclip4j.mask.AttentionScore;
import aclip4j.mask.BilinearResize;
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

/**
 * One backend's implementation of every A-CLIP component (docs/SPEC.md §0): the only place that names the twin
 * classes. The training step ({@code train/Components}) and the golden handlers ask it for their components, so a
 * third backend is one more implementation of this interface.
 */
public interface Twins {
    Backend backend();

    VisionTower vision(VisionConfig cfg);

    TextTower text(TextConfig cfg);

    SslHead sslHead(SslHead.Kind kind, HeadsConfig cfg);

    ClipLoss clipLoss();

    SimClrLoss simclrLoss();

    SimSiamLoss simsiamLoss();

    ByolLoss byolLoss();

    AttentionScore attentionScore();

    BilinearResize bilinearResize();

    ViewScores viewScores();

    CellPooling cellPooling();

    TokenSelector tokenSelector();

    EmaUpdate emaUpdate();

    AdamW adamW();

    /** The twins of {@code backend}; the SIMD twins at this JVM's vector width. */
    static Twins of(Backend backend) {
        return of(backend, Lanes.preferred());
    }

    /** The twins of {@code backend}; the SIMD twins at the width {@code lanes} (ignored by ND4J). */
    static Twins of(Backend backend, Lanes lanes) {
        return switch (backend) {
            case SIMD -> new SimdTwins(lanes);
            case ND4J -> new Nd4jTwins();
        };
    }
}
