package aclip4j.train;

import aclip4j.Choice;

/** The self-supervised loss between the online views (SPEC §6), {@code --ssl}. */
public enum Ssl implements Choice {
    /** {@code simclr}: SimCLR's NT-Xent over every pair of views through the SimCLR MLP (A-CLIP's default). */
    SIMCLR,
    /** {@code simsiam}: SimSiam's negative cosine through the SimCLR MLP and a predictor, with a stop-gradient. */
    SIMSIAM,
    /** {@code none}: no loss between views. */
    NONE;

    public static Ssl parse(String word) {
        return Choice.parse(Ssl.class, word, "--ssl");
    }

    /** Whether a loss between views is on (it then needs two views or more). */
    public boolean on() {
        return this != NONE;
    }
}
