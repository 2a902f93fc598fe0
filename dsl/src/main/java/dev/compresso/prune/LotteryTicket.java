package dev.compresso.prune;

import dev.compresso.data.DataSplit;
import dev.compresso.model.Network;
import dev.compresso.train.TrainOptions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Lottery-ticket rewinding (Frankle and Carbin 2019): train, prune a share of the surviving weights
 * by magnitude, rewind the survivors to their values at the start (or after {@code rewindEpochs} of
 * training, "late resetting"), and train again with the mask held. Repeated for several rounds at a
 * per-round rate, so after {@code r} rounds the sparsity is {@code 1 − (1 − rate)^r}.
 */
public final class LotteryTicket {

    private final int rounds;
    private final double rate;
    private final int rewindEpochs;
    private final Selector selector;

    private LotteryTicket(int rounds, double rate, int rewindEpochs, Selector selector) {
        this.rounds = rounds;
        this.rate = rate;
        this.rewindEpochs = rewindEpochs;
        this.selector = selector;
    }

    /**
     * Iterative magnitude pruning with rewinding to initialization.
     *
     * @param rounds how many prune-rewind-retrain rounds after the first, dense training, ≥ 1
     * @param ratePerRound share of the surviving weights pruned in each round, in (0, 1)
     * @return the spec
     */
    public static LotteryTicket rounds(int rounds, double ratePerRound) {
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds=" + rounds + " must be ≥ 1");
        }
        if (!(ratePerRound > 0 && ratePerRound < 1)) {
            throw new IllegalArgumentException("ratePerRound=" + ratePerRound + " must be in (0, 1); Frankle and Carbin use 0.2");
        }
        return new LotteryTicket(rounds, ratePerRound, 0, Selector.weights());
    }

    /** Rewinds to the weights after this many epochs of the first training instead of the initial ones. */
    public LotteryTicket rewindTo(int epochs) {
        if (epochs < 0) {
            throw new IllegalArgumentException("rewindTo(" + epochs + "): epochs must be ≥ 0");
        }
        return new LotteryTicket(rounds, rate, epochs, selector);
    }

    /** Prunes the parameters {@code s} picks. */
    public LotteryTicket select(Selector s) {
        return new LotteryTicket(rounds, rate, rewindEpochs, s);
    }

    /** Final sparsity of the pruned parameters after all rounds. */
    public double finalSparsity() {
        return 1 - Math.pow(1 - rate, rounds);
    }

    /**
     * Runs the rounds from {@code init}, an untrained network, on {@code data}: the dense network is
     * trained first ({@code NAME-ticket-0}), then each round prunes, rewinds and retrains ({@code
     * NAME-ticket-R}); every trained ticket is recorded in the log.
     *
     * @param init the network whose weights the survivors rewind to
     * @param data the data
     * @param options the training of every round
     * @return the last round's trained ticket
     */
    public Network run(Network init, DataSplit data, TrainOptions options) {
        List<String> params = selector.resolve(init);
        Network rewindPoint = rewindEpochs == 0
                ? init.copy()
                : init.named(init.name() + "-rewind").train(data, options.withEpochs(rewindEpochs));
        Network ticket = rewindPoint.named(init.name() + "-ticket-0");
        Network trained = null;
        Map<String, float[]> masks = new LinkedHashMap<>();
        for (int r = 0; ; r++) {
            Network next = ticket.train(data, options);
            ticket.close();
            if (trained != null) {
                trained.close();
            }
            trained = next;
            if (r == rounds) {
                break;
            }
            double sparsity = 1 - Math.pow(1 - rate, r + 1);
            for (String p : params) {
                float[] w = trained.weights(p);
                masks.put(p, Masks.smallest(w, (int) Math.round(sparsity * w.length)));
            }
            String step = String.format(Locale.ROOT, "lottery(round %d/%d, sparsity=%.3f, rewind to %s)", r + 1, rounds,
                    sparsity, rewindEpochs == 0 ? "init" : "epoch " + rewindEpochs);
            ticket = rewindPoint.withConstraint(init.name() + "-ticket-" + (r + 1), step, new MaskConstraint(masks));
        }
        rewindPoint.close();
        return trained;
    }
}
