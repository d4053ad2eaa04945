package opsbot.bot.outbox;

import opsbot.bot.chat.ChatNetwork;
import opsbot.bot.chat.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The one thread that drains one target's rows, oldest first, one at a time: the next row is not tried
 * before the one ahead of it was sent, so a target sees its messages in order, and a target that is down
 * holds up no other. Which row is next, and when broadcasts wait for the line budget, the outbox says
 * ({@link Outbox#next}).
 */
final class Sender {
    private static final Logger log = LoggerFactory.getLogger(Sender.class);
    /** With nothing pending, how often the store is looked at anyway (a wake-up is the usual trigger). */
    private static final long IDLE_MS = 60_000;

    private final Target target;
    private final Outbox outbox;
    private final Function<String, ChatNetwork> networks;
    private final Clock clock;
    private final Semaphore signal = new Semaphore(0);
    private final Thread thread;
    private volatile boolean closing;

    Sender(Target target, Outbox outbox, Function<String, ChatNetwork> networks, Clock clock) {
        this.target = target;
        this.outbox = outbox;
        this.networks = networks;
        this.clock = clock;
        this.thread = Thread.ofPlatform().name("outbox " + target).daemon().start(this::run);
    }

    void wake() {
        signal.release();
    }

    void closing() {
        closing = true;
        signal.release();
    }

    void join(Duration max) {
        try {
            if (!thread.join(max)) {
                thread.interrupt();
                log.info("outbox: {}: stopped with messages still to send; they go out after the next start", target);
            }
        } catch (InterruptedException e) {
            thread.interrupt();
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            while (true) {
                Outbox.Next next;
                try {
                    next = outbox.next(target);
                } catch (RuntimeException e) {
                    if (closing) { // the bot is stopping and the store with it: what is left goes out after the next start
                        log.info("outbox: {}: stopped while reading the store ({})", target, e.toString());
                        return;
                    }
                    log.error("outbox: {}: cannot read the store: {}", target, e.toString());
                    await(5_000);
                    continue;
                }
                Row r;
                switch (next) {
                    case Outbox.Next.Idle idle -> {
                        if (closing) return;
                        await(IDLE_MS);
                        continue;
                    }
                    case Outbox.Next.Hold hold -> {
                        if (closing) return; // the held broadcasts (or their digest) go out after the next start
                        await(Math.max(1, Duration.between(clock.instant(), hold.until()).toMillis()));
                        continue;
                    }
                    case Outbox.Next.Send send -> r = send.row();
                }
                long wait = Duration.between(clock.instant(), r.nextTry()).toMillis();
                if (wait > 0) {
                    if (closing) return; // waiting for a network that is down: the next start sends it
                    await(wait);
                    continue;
                }
                if (!send(r) && closing) return;
            }
        } catch (InterruptedException e) {
            // closing
        }
    }

    /** Waits up to {@code ms}, or until woken; wake-ups that came meanwhile are used up. */
    private void await(long ms) throws InterruptedException {
        if (signal.tryAcquire(ms, TimeUnit.MILLISECONDS)) {
            signal.drainPermits();
        }
    }

    private boolean send(Row r) throws InterruptedException {
        ChatNetwork net = networks.apply(target.network());
        String error;
        try {
            if (net == null) {
                throw new ChatNetwork.PostFailed(target.network() + " is not attached", null);
            }
            String thread = r.thread();
            if (thread == null && r.threadKey() != null) {
                thread = outbox.sentId(target, r.threadKey()).orElse(null);
                if (thread == null) {
                    log.warn("outbox: {}: the thread root {} of message {} is not known; posting it unthreaded",
                            target, r.threadKey(), r.key());
                }
            }
            Message body = r.body();
            int lineBytes = r.lane() == Row.Lane.BUDGET ? net.lineBytes(target.place()) : 0;
            if (lineBytes > 0) {
                body = Message.plain(OneLine.of(body.plain(), lineBytes)); // a broadcast is one line, not several
            }
            String id = net.post(target.place(), body, thread, outbox.networkKey(r));
            outbox.sent(r, id);
            if (r.attempts() > 0) {
                log.info("outbox: {}: {} sent after {} failed attempts", target, r.key(), r.attempts());
            }
            return true;
        } catch (RuntimeException e) {
            error = e.getMessage() == null ? e.toString() : e.getMessage();
        }
        if (Thread.interrupted()) throw new InterruptedException();
        Duration wait;
        try {
            wait = outbox.failed(r, error);
        } catch (RuntimeException e) {
            log.error("outbox: {}: cannot record a failed attempt: {}", target, e.toString());
            wait = Duration.ofSeconds(5);
            await(wait.toMillis());
            return false;
        }
        int attempts = r.attempts() + 1;
        // One line when it starts failing, then a line at 10, 100, 1000… attempts: an outage is not a log flood.
        if (attempts == 1 || Integer.toString(attempts).matches("10+")) {
            log.warn("outbox: {}: cannot send {} ({}); attempt {}, retrying in {} ms, never giving up", target,
                    r.key(), error, attempts, wait.toMillis());
        } else {
            log.debug("outbox: {}: attempt {} for {} failed: {}", target, attempts, r.key(), error);
        }
        return false;
    }
}
