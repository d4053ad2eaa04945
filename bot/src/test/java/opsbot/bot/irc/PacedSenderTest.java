package opsbot.bot.irc;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.*;

class PacedSenderTest {
    @Test
    void burstGoesOutAtOnceTheRestIsPacedInOrder() throws Exception {
        List<String> sent = new CopyOnWriteArrayList<>();
        List<Long> at = new CopyOnWriteArrayList<>();
        PacedSender s = new PacedSender(10); // 10 lines/s, burst 10
        s.beginSending(line -> {
            sent.add(line);
            at.add(System.nanoTime());
        });
        long t0 = System.nanoTime();
        for (int i = 0; i < 15; i++) s.queue("line " + i);
        assertEquals(10, sent.size(), "the burst is sent inline, before queue() returns");
        long end = System.nanoTime() + 3_000_000_000L;
        while (sent.size() < 15 && System.nanoTime() < end) Thread.sleep(10);
        assertEquals(15, sent.size());
        for (int i = 0; i < 15; i++) assertEquals("line " + i, sent.get(i));
        double lastMs = (at.get(14) - t0) / 1e6;
        assertTrue(lastMs >= 400 && lastMs < 1500, "5 lines beyond the burst take about 0.5 s at 10/s: " + lastMs);
        s.shutdown();
    }

    @Test
    void pausedQueueKeepsLinesUntilSendingBegins() {
        List<String> sent = new CopyOnWriteArrayList<>();
        PacedSender s = new PacedSender(10);
        s.queue("JOIN #ops");
        assertTrue(s.contains("JOIN #ops"));
        s.beginSending(sent::add);
        assertEquals(List.of("JOIN #ops"), sent);
        s.pause();
        s.queue("PRIVMSG #ops :hi");
        assertEquals(1, sent.size());
        assertEquals(List.of("PRIVMSG #ops :hi"), List.copyOf(s.shutdown()), "shutdown hands back what was not sent");
    }
}
