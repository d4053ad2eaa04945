package opsbot.bot.irc;

import org.kitteh.irc.client.library.Client;
import org.kitteh.irc.client.library.feature.sending.QueueProcessingThreadSender;

/**
 * Outgoing rate limit: a token bucket of {@code rate} lines per second with a burst of the same size, so
 * a short reply goes out at once and a long one is paced instead of getting the bot flood-killed.
 */
final class TokenBucketSender extends QueueProcessingThreadSender {
    private final double rate;
    private final double burst;
    private double tokens;
    private long last = System.nanoTime();

    TokenBucketSender(Client client, double rate) {
        super(client, "opsbot-irc-sender");
        this.rate = rate;
        this.burst = Math.max(1, Math.ceil(rate));
        this.tokens = burst;
    }

    @Override
    protected boolean checkReady(String message) {
        while (true) {
            long now = System.nanoTime();
            tokens = Math.min(burst, tokens + (now - last) / 1e9 * rate);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return true;
            }
            try {
                Thread.sleep((long) Math.ceil((1 - tokens) / rate * 1000));
            } catch (InterruptedException e) {
                interrupt();
                return false;
            }
        }
    }
}
